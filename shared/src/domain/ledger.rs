//! The ledger: one entry for every change of a balance, what, why, when, and the balance after.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerKind {
    /// Points given (add-points).
    Credit,
    /// Points taken away (remove-points).
    Debit,
    /// Points spent on a reward.
    Redeem,
    /// Points of a reward given back, because Shopify did not issue it.
    RedeemReversed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub seq: u64,
    pub customer_id: u64,
    pub kind: LedgerKind,
    /// Signed change of the available points.
    pub delta: i64,
    pub balance_after: i64,
    pub reason: String,
    #[serde(default)]
    pub reward_id: Option<u64>,
    pub at: String,
}

/// A change to make to a balance.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChange {
    pub kind: LedgerKind,
    pub delta: i64,
    pub reason: String,
    pub reward_id: Option<u64>,
}

impl BalanceChange {
    pub fn adjust(delta: i64, reason: &str) -> BalanceChange {
        let kind = if delta >= 0 { LedgerKind::Credit } else { LedgerKind::Debit };
        BalanceChange { kind, delta, reason: reason.to_string(), reward_id: None }
    }

    pub fn redeem(points: i64, reward_id: u64) -> BalanceChange {
        BalanceChange {
            kind: LedgerKind::Redeem,
            delta: -points,
            reason: "redeemed".into(),
            reward_id: Some(reward_id),
        }
    }

    pub fn reverse_redeem(points: i64, reward_id: u64, reason: &str) -> BalanceChange {
        BalanceChange {
            kind: LedgerKind::RedeemReversed,
            delta: points,
            reason: reason.into(),
            reward_id: Some(reward_id),
        }
    }

    /// Points this change needs available: what a debit takes.
    pub fn needs(&self) -> i64 {
        (-self.delta).max(0)
    }
}

/// The body of add-points and remove-points.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Adjustment {
    pub customer_id: Option<u64>,
    pub customer_email: Option<String>,
    pub points: serde_json::Value,
    pub reason: String,
}
