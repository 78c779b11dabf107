//! A ledger entry's item.

use serde::{Deserialize, Serialize};

use crate::domain::ledger::{LedgerEntry, LedgerKind};
use crate::domain::Time;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerRecord {
    pub seq: u64,
    pub customer_id: u64,
    pub kind: LedgerKind,
    pub delta: i64,
    #[serde(default)]
    pub reserved_delta: i64,
    pub balance_after: i64,
    pub reason: String,
    #[serde(default)]
    pub reward_id: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_id: Option<u64>,
    #[serde(with = "time::serde::rfc3339")]
    pub at: Time,
}

impl From<&LedgerEntry> for LedgerRecord {
    fn from(e: &LedgerEntry) -> Self {
        LedgerRecord {
            seq: e.seq,
            customer_id: e.customer_id,
            kind: e.kind,
            delta: e.delta,
            reserved_delta: e.reserved_delta,
            balance_after: e.balance_after,
            reason: e.reason.clone(),
            reward_id: e.reward_id,
            order_id: e.order_id,
            at: e.at,
        }
    }
}

impl From<LedgerRecord> for LedgerEntry {
    fn from(r: LedgerRecord) -> Self {
        LedgerEntry {
            seq: r.seq,
            customer_id: r.customer_id,
            kind: r.kind,
            delta: r.delta,
            reserved_delta: r.reserved_delta,
            balance_after: r.balance_after,
            reason: r.reason,
            reward_id: r.reward_id,
            order_id: r.order_id,
            at: r.at,
        }
    }
}
