//! The ledger: one entry for every change of a balance, what, why, when, and the balance after; and the
//! changes themselves, as the domain decides them.

use rust_decimal::Decimal;

use super::ids::{CustomerId, OrderId, RewardId};
use super::lots::Lot;
use super::{vocabulary, Time};

vocabulary! {
    pub enum LedgerKind {
        /// Points given (add-points).
        Credit = "CREDIT",
        /// Points taken away (remove-points).
        Debit = "DEBIT",
        /// Points spent on a reward at once.
        Redeem = "REDEEM",
        /// Points of a reward given back: Shopify did not issue it, its order was cancelled, it expired.
        RedeemReversed = "REDEEM_REVERSED",
        /// Points held for a reward that is paid for when its order arrives.
        Reserve = "RESERVE",
        /// A reservation paid by the order that used the reward.
        ReservationSpent = "RESERVATION_SPENT",
        /// A reservation given back: the reward failed or expired unused.
        ReservationReleased = "RESERVATION_RELEASED",
        /// A reward's points taken again: an order used its code after they had been given back.
        LateUse = "LATE_USE",
        /// Points whose lot expired unspent.
        PointsExpired = "POINTS_EXPIRED",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LedgerEntry {
    pub seq: u64,
    pub customer_id: CustomerId,
    pub kind: LedgerKind,
    /// Signed change of the available points.
    pub delta: i64,
    /// Signed change of the reserved points.
    pub reserved_delta: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reward_id: Option<RewardId>,
    /// The Shopify order that caused the change, if one did.
    pub order_id: Option<OrderId>,
    pub at: Time,
}

/// A page of a customer's ledger, newest first, and the sequence number the next page starts before.
#[derive(Debug, Clone, PartialEq)]
pub struct ActivityPage {
    pub customer_id: CustomerId,
    pub entries: Vec<LedgerEntry>,
    pub next: Option<u64>,
}

/// A change to make to a balance: how each of the customer's counters moves, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct BalanceChange {
    pub kind: LedgerKind,
    pub available: i64,
    pub reserved: i64,
    pub spent: i64,
    pub credited: i64,
    pub reason: String,
    pub reward_id: Option<RewardId>,
    pub order_id: Option<OrderId>,
    pub lots: LotChange,
    /// How the change moves what the customer's rewards come to (`customer::RewardTally`).
    pub tally: TallyChange,
}

/// A reward made (one more), and store credit counted (or no longer): what a change does to the
/// customer's `RewardTally`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TallyChange {
    pub made: u64,
    pub store_credit: Decimal,
}

/// How a change moves the customer's lots (see `lots`).
#[derive(Debug, Clone, PartialEq)]
pub enum LotChange {
    /// Points given, to the lot of their expiry, or the one without.
    Add(Option<Time>),
    /// Points taken, soonest-expiring first.
    Take,
    /// Points given back to the lots they were taken from.
    Return(Vec<Lot>),
    /// The available points do not move.
    Keep,
}

/// Why points expired, in the ledger.
pub const EXPIRED: &str = "points expired";

impl BalanceChange {
    fn new(
        kind: LedgerKind,
        (available, reserved, spent, credited): (i64, i64, i64, i64),
        reason: &str,
        reward: Option<RewardId>,
    ) -> Self {
        BalanceChange {
            kind,
            available,
            reserved,
            spent,
            credited,
            reason: reason.into(),
            reward_id: reward,
            order_id: None,
            tally: TallyChange::default(),
            lots: match available {
                0 => LotChange::Keep,
                a if a > 0 => LotChange::Add(None),
                _ => LotChange::Take,
            },
        }
    }

    /// Points given that expire at `at`.
    pub fn expiring(self, at: Option<Time>) -> BalanceChange {
        BalanceChange { lots: LotChange::Add(at), ..self }
    }

    /// Points given back that were taken as `lots`.
    pub fn from_lots(self, lots: &[Lot]) -> BalanceChange {
        BalanceChange { lots: LotChange::Return(lots.to_vec()), ..self }
    }

    /// The same change, moving the customer's reward tally too.
    pub fn tallied(self, tally: TallyChange) -> BalanceChange {
        BalanceChange { tally, ..self }
    }

    /// The same change, caused by a Shopify order.
    pub fn for_order(self, order_id: OrderId) -> BalanceChange {
        BalanceChange { order_id: Some(order_id), ..self }
    }

    /// Points added (positive) or removed (negative) by hand, with the shop's reason.
    pub fn adjust(delta: i64, reason: &str) -> BalanceChange {
        let kind = if delta >= 0 { LedgerKind::Credit } else { LedgerKind::Debit };
        Self::new(kind, (delta, 0, 0, delta), reason, None)
    }

    pub fn redeem(points: i64, reward_id: RewardId) -> BalanceChange {
        Self::new(LedgerKind::Redeem, (-points, 0, points, 0), "redeemed", Some(reward_id))
    }

    pub fn reverse_redeem(points: i64, reward_id: RewardId, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::RedeemReversed, (points, 0, -points, 0), reason, Some(reward_id))
    }

    /// Points taken again from the balance: an order used the reward after its points came back.
    pub fn late_use(points: i64, reward_id: RewardId, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::LateUse, (-points, 0, points, 0), reason, Some(reward_id))
    }

    pub fn reserve(points: i64, reward_id: RewardId) -> BalanceChange {
        Self::new(LedgerKind::Reserve, (-points, points, 0, 0), "reserved until the order", Some(reward_id))
    }

    pub fn spend_reservation(points: i64, reward_id: RewardId, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::ReservationSpent, (0, -points, points, 0), reason, Some(reward_id))
    }

    pub fn release_reservation(points: i64, reward_id: RewardId, reason: &str) -> BalanceChange {
        Self::new(LedgerKind::ReservationReleased, (points, -points, 0, 0), reason, Some(reward_id))
    }

    /// Available points this change needs: what a debit or a reservation takes.
    pub fn needs(&self) -> i64 {
        (-self.available).max(0)
    }

    /// Whether only an enrolled customer may have this change: what the customer or the shop asks for
    /// (a redemption, a reservation, an adjustment). What follows from earlier changes (points given
    /// back, a reservation paid) happens whatever the customer's status is now.
    pub fn needs_enrolled(&self) -> bool {
        matches!(self.kind, LedgerKind::Credit | LedgerKind::Debit | LedgerKind::Redeem | LedgerKind::Reserve)
    }
}

/// Which way a hand adjustment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

/// The longest reason an adjustment or a refund may give.
pub const MAX_REASON: usize = 500;

#[cfg(test)]
mod tests {
    use super::*;

    fn reward() -> RewardId {
        RewardId::from_entropy(4)
    }

    #[test]
    fn only_what_takes_available_points_needs_them() {
        assert_eq!(BalanceChange::redeem(500, reward()).needs(), 500);
        assert_eq!(BalanceChange::reserve(500, reward()).needs(), 500);
        assert_eq!(BalanceChange::adjust(-20, "fix").needs(), 20);
        assert_eq!(BalanceChange::adjust(20, "gift").needs(), 0);
        assert_eq!(BalanceChange::spend_reservation(500, reward(), "order").needs(), 0);
        assert_eq!(BalanceChange::release_reservation(500, reward(), "expired").needs(), 0);
    }

    #[test]
    fn a_reversal_undoes_what_the_redemption_did() {
        let (taken, back) = (BalanceChange::redeem(300, reward()), BalanceChange::reverse_redeem(300, reward(), "x"));
        assert_eq!((taken.available + back.available, taken.spent + back.spent), (0, 0));
        let held = BalanceChange::reserve(300, reward());
        let freed = BalanceChange::release_reservation(300, reward(), "expired");
        assert_eq!((held.available + freed.available, held.reserved + freed.reserved), (0, 0));
    }

    #[test]
    fn only_what_a_customer_or_shop_asks_for_needs_an_enrolled_customer() {
        assert!(BalanceChange::redeem(1, reward()).needs_enrolled());
        assert!(BalanceChange::adjust(-1, "x").needs_enrolled());
        assert!(!BalanceChange::reverse_redeem(1, reward(), "failed").needs_enrolled());
        assert!(!BalanceChange::spend_reservation(1, reward(), "order").needs_enrolled());
    }
}
