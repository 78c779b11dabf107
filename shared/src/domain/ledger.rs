//! The ledger: one entry for every change of a balance, what, why, when, and the balance after.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum LedgerKind {
    /// Points given (add-points).
    Credit,
    /// Points taken away (remove-points).
    Debit,
    /// Points spent on a reward at once.
    Redeem,
    /// Points of a reward given back: Shopify did not issue it, its order was cancelled, it expired.
    RedeemReversed,
    /// Points held for a reward that is paid for when its order arrives.
    Reserve,
    /// A reservation paid by the order that used the reward.
    ReservationSpent,
    /// A reservation given back: the reward failed or expired unused.
    ReservationReleased,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntry {
    pub seq: u64,
    pub customer_id: u64,
    pub kind: LedgerKind,
    /// Signed change of the available points.
    pub delta: i64,
    /// Signed change of the reserved points.
    #[serde(default)]
    pub reserved_delta: i64,
    pub balance_after: i64,
    pub reason: String,
    #[serde(default)]
    pub reward_id: Option<u64>,
    pub at: String,
}

/// A change to make to a balance: how each of the customer's counters moves.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChange {
    pub kind: LedgerKind,
    pub available: i64,
    pub reserved: i64,
    pub spent: i64,
    pub credited: i64,
    pub reason: String,
    pub reward_id: Option<u64>,
}

impl BalanceChange {
    fn new(
        kind: LedgerKind,
        (available, reserved, spent, credited): (i64, i64, i64, i64),
        reason: &str,
        reward: Option<u64>,
    ) -> Self {
        BalanceChange { kind, available, reserved, spent, credited, reason: reason.into(), reward_id: reward }
    }

    pub fn adjust(delta: i64, reason: &str) -> BalanceChange {
        let kind = if delta >= 0 { LedgerKind::Credit } else { LedgerKind::Debit };
        Self::new(kind, (delta, 0, 0, delta), reason, None)
    }

    pub fn redeem(points: i64, reward_id: u64) -> BalanceChange {
        Self::new(LedgerKind::Redeem, (-points, 0, points, 0), "redeemed", Some(reward_id))
    }

    pub fn reverse_redeem(points: i64, reward_id: u64, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::RedeemReversed, (points, 0, -points, 0), reason, Some(reward_id))
    }

    pub fn reserve(points: i64, reward_id: u64) -> BalanceChange {
        Self::new(LedgerKind::Reserve, (-points, points, 0, 0), "reserved until the order", Some(reward_id))
    }

    pub fn spend_reservation(points: i64, reward_id: u64, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::ReservationSpent, (0, -points, points, 0), reason, Some(reward_id))
    }

    pub fn release_reservation(points: i64, reward_id: u64, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::ReservationReleased, (points, -points, 0, 0), reason, Some(reward_id))
    }

    /// Available points this change needs: what a debit or a reservation takes.
    pub fn needs(&self) -> i64 {
        (-self.available).max(0)
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
