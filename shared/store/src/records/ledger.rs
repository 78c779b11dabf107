//! A ledger entry's item.

use serde::{Deserialize, Serialize};

use tally_app::ports::StoreError;
use tally_domain::ids::{CustomerId, OrderId, RewardId};
use tally_domain::ledger::{LedgerEntry, LedgerKind};
use tally_domain::Time;

use super::corrupt;

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
            customer_id: e.customer_id.get(),
            kind: e.kind,
            delta: e.delta,
            reserved_delta: e.reserved_delta,
            balance_after: e.balance_after,
            reason: e.reason.clone(),
            reward_id: e.reward_id.map(RewardId::get),
            order_id: e.order_id.map(OrderId::get),
            at: e.at,
        }
    }
}

impl TryFrom<LedgerRecord> for LedgerEntry {
    type Error = StoreError;

    fn try_from(r: LedgerRecord) -> Result<Self, StoreError> {
        Ok(LedgerEntry {
            seq: r.seq,
            customer_id: CustomerId::new(r.customer_id).ok_or_else(|| corrupt("a ledger entry of customer 0"))?,
            kind: r.kind,
            delta: r.delta,
            reserved_delta: r.reserved_delta,
            balance_after: r.balance_after,
            reason: r.reason,
            reward_id: r.reward_id.and_then(RewardId::new),
            order_id: r.order_id.and_then(OrderId::new),
            at: r.at,
        })
    }
}
