//! Every change of a reward, as a pure function of the reward as read: from which states it may happen,
//! what the reward becomes, and what it does to the customer's balance. The store writes a change in one
//! write, conditioned on the reward still being as it was read (its version, and its status among those
//! allowed), and decides nothing.

use super::{DeductionMode, FailureReason, NotRefundable, Refund, RefundRequest, ReviewReason, Reward, RewardKind};
use super::{PutOff, RewardState, RewardStatus, Usage};
use crate::ledger::BalanceChange;
use crate::order::Order;
use crate::Time;

use RewardStatus::*;

/// A change of a reward, decided: the reward after it, the version it was decided on, the statuses it may
/// come from, and the change to its customer's balance, if any (whose ledger entry says the kind).
#[derive(Debug, Clone, PartialEq)]
pub struct RewardChange {
    pub reward: Reward,
    pub read_version: u64,
    pub from: &'static [RewardStatus],
    pub balance: Option<BalanceChange>,
}

/// The change does not apply to the reward as it stands (it was made already, or another one was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the reward is {0}")]
pub struct NotApplicable(pub RewardStatus);

/// Why a refund cannot begin.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RefundRefused {
    #[error(transparent)]
    NotRefundable(#[from] NotRefundable),
    /// Another refund of the reward began moments ago and may still be running.
    #[error("another refund of this reward is under way")]
    InProgress,
}

/// Why an order gives its rewards' points back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelReason {
    Cancelled,
    Refunded,
    /// A cancellation or a full refund that arrived before the order did.
    CancelledOrRefunded,
}

impl CancelReason {
    fn words(self) -> &'static str {
        match self {
            CancelReason::Cancelled => "cancelled",
            CancelReason::Refunded => "refunded",
            CancelReason::CancelledOrRefunded => "cancelled or refunded",
        }
    }
}

impl Reward {
    fn change(
        &self,
        from: &'static [RewardStatus],
        state: RewardState,
        balance: Option<BalanceChange>,
    ) -> Result<RewardChange, NotApplicable> {
        if !from.contains(&self.status()) {
            return Err(NotApplicable(self.status()));
        }
        // A change of state is a visit that settled something: whatever was put off is due again.
        let reward = Reward { state, version: self.version + 1, put_off: None, ..self.clone() };
        Ok(RewardChange { reward, read_version: self.version, from, balance })
    }

    /// Shopify issued the reward (`shopify_id`): a code is `UNUSED`; store credit, delivered, is `USED`.
    pub fn issued(&self, shopify_id: &str, at: Time) -> Result<RewardChange, NotApplicable> {
        let state = match self.reward_type {
            RewardKind::DiscountCode => RewardState::Unused { refund: None },
            RewardKind::StoreCredit => RewardState::Used(Usage { at, order: None, taken_late: None }),
        };
        let mut change = self.change(&[Pending], state, None)?;
        change.reward.discount_code_id = Some(shopify_id.to_string());
        Ok(change)
    }

    /// Shopify did not issue the reward: `FAILED`, its points back.
    pub fn failed(&self, reason: FailureReason) -> Result<RewardChange, NotApplicable> {
        self.change(&[Pending], RewardState::Failed { reason }, Some(self.points_back(reason.ledger_reason())))
    }

    /// Only an operator can tell what Shopify did: the reward waits for them, its points held.
    pub fn held_for_review(&self, reason: ReviewReason) -> Result<RewardChange, NotApplicable> {
        if self.review_reason().is_some() {
            return Err(NotApplicable(self.status()));
        }
        self.change(&[Pending], RewardState::Pending { review: Some(reason) }, None)
    }

    /// An order used the reward's code: it is `USED` by the order, and a reservation is paid. One whose
    /// points went back before the order came (a refund or an expiry raced it) is used all the same, and
    /// its points are taken from the balance again as far as `available` goes: the order had the discount.
    pub fn used_by(&self, order: &Order, at: Time, available: i64) -> Result<RewardChange, NotApplicable> {
        let used = |taken_late| RewardState::Used(Usage { at, order: Some(order.reference()), taken_late });
        let paid = format!("paid by order {}", order.name);
        match &self.state {
            RewardState::Pending { .. } | RewardState::Unused { .. } => {
                let reservation = (self.deduction_mode == DeductionMode::OnOrder).then(|| {
                    BalanceChange::spend_reservation(self.points_redeemed, self.id, &paid).for_order(order.id)
                });
                self.change(&[Pending, Unused], used(None), reservation)
            }
            RewardState::Expired { points_returned: false } => self.change(&[Expired], used(None), None),
            // A reward that failed gave its points back, though Shopify may have made its code after all.
            RewardState::Expired { points_returned: true }
            | RewardState::Refunded(Refund::ByShop { .. })
            | RewardState::Failed { .. } => {
                let points = self.points_redeemed.min(available.max(0));
                let why = format!("order {} used the code after its points were returned", order.name);
                let again = (points > 0).then(|| BalanceChange::late_use(points, self.id, &why).for_order(order.id));
                self.change(&[Expired, Refunded, Failed], used(Some(points)), again)
            }
            _ => Err(NotApplicable(self.status())),
        }
    }

    /// The shop says the code was used at a checkout Tally hears of no order from (Appstle's
    /// `update-discount`): `USED` with no order, a reservation paid. Only an unused reward that is not
    /// being refunded; the order that used it, should its webhook come, finds it used.
    pub fn marked_used(&self, at: Time) -> Result<RewardChange, NotApplicable> {
        let RewardState::Unused { refund: None } = &self.state else { return Err(NotApplicable(self.status())) };
        let reservation = (self.deduction_mode == DeductionMode::OnOrder)
            .then(|| BalanceChange::spend_reservation(self.points_redeemed, self.id, "marked used by the shop"));
        self.change(&[Unused], RewardState::Used(Usage { at, order: None, taken_late: None }), reservation)
    }

    /// The order that used the reward was cancelled, or refunded in full: `REFUNDED`, its points back, once,
    /// and only if that order is the one that used it. Points taken late came from whatever lots the
    /// balance had then, which the reward does not keep: they come back to the lot that never expires.
    pub fn order_cancelled(&self, order: &Order, why: CancelReason) -> Result<RewardChange, NotApplicable> {
        let RewardState::Used(usage) = &self.state else { return Err(NotApplicable(self.status())) };
        if usage.order.as_ref().is_none_or(|used| used.id != order.id) {
            return Err(NotApplicable(self.status()));
        }
        let points = usage.taken_late.unwrap_or(self.points_redeemed);
        let lots = if usage.taken_late.is_some() { &[][..] } else { &self.lots[..] };
        let reason = format!("order {} {}", order.name, why.words());
        let back = BalanceChange::reverse_redeem(points, self.id, &reason).for_order(order.id).from_lots(lots);
        self.change(&[Used], RewardState::Refunded(Refund::ByOrder(usage.clone())), Some(back))
    }

    /// The shop asks to take the reward back: the request is written on it before its code is touched, so
    /// that a refund that stops halfway is found and finished. A request older than `stale_before` was
    /// left by a refund that died, and is taken over.
    pub fn refund_begun(&self, reason: &str, at: Time, stale_before: Time) -> Result<RewardChange, RefundRefused> {
        self.refundable(Some(at))?;
        if self.refund_request().is_some_and(|request| request.at >= stale_before) {
            return Err(RefundRefused::InProgress);
        }
        let request = RefundRequest { reason: reason.to_string(), at };
        self.change(&[Unused], RewardState::Unused { refund: Some(request) }, None)
            .map_err(|NotApplicable(_)| self.refundable(None).err().map_or(RefundRefused::InProgress, Into::into))
    }

    /// The refund begun at `requested_at` is taken back: the code was not deactivated, so the reward is as
    /// it was.
    pub fn refund_abandoned(&self, requested_at: Time) -> Result<RewardChange, NotApplicable> {
        if self.refund_request().is_none_or(|request| request.at != requested_at) {
            return Err(NotApplicable(self.status()));
        }
        self.change(&[Unused], RewardState::Unused { refund: None }, None)
    }

    /// The unused reward's code no longer works: `REFUNDED`, its points returned (or its reservation
    /// released) with the reason the shop gave.
    pub fn refund_finished(&self, at: Time, default_reason: &str) -> Result<RewardChange, NotRefundable> {
        self.refundable(None)?;
        let reason = self.refund_request().map_or(default_reason, |request| request.reason.as_str());
        let back = self.points_back(reason);
        self.change(&[Unused], RewardState::Refunded(Refund::ByShop { at: Some(at) }), Some(back))
            .map_err(|_| NotRefundable::Refunded)
    }

    /// The unused reward is past its end: `EXPIRED`. A reservation is released; an immediate reward's
    /// points come back when the shop says so.
    pub fn expired(&self, return_points: bool) -> Result<RewardChange, NotApplicable> {
        let back = match self.deduction_mode {
            DeductionMode::OnOrder => Some(self.points_back("expired unused")),
            DeductionMode::Immediate if return_points => Some(self.points_back("expired unused")),
            DeductionMode::Immediate => None,
        };
        self.change(&[Unused], RewardState::Expired { points_returned: back.is_some() }, back)
    }

    /// A job could not settle the reward now (Shopify failing, the order that used its code not seen yet):
    /// it is listed again after a wait that doubles with each attempt from `first` (at most a day), and
    /// nothing else changes.
    pub fn put_off(&self, now: Time, first: time::Duration) -> Result<RewardChange, NotApplicable> {
        let attempts = self.put_off.map_or(0, |put_off| put_off.attempts).saturating_add(1);
        let wait = first.saturating_mul(1 << attempts.min(16).saturating_sub(1)).min(time::Duration::DAY);
        let until = now.checked_add(wait).unwrap_or(now);
        let mut change = self.change(&[Pending, Unused], self.state.clone(), None)?;
        change.reward.put_off = Some(PutOff { until, attempts });
        Ok(change)
    }

    /// A reward found in its redemption's journal, listed where it stands, its visits put off as they
    /// were. One listed already is left as it is, and so is one used, refunded, expired or failed: no later
    /// change of theirs is ever listed.
    pub fn listed(&self) -> Result<RewardChange, NotApplicable> {
        const LISTABLE: &[RewardStatus] = &[Pending, Unused];
        if !self.journaled || !LISTABLE.contains(&self.status()) {
            return Err(NotApplicable(self.status()));
        }
        let reward = Reward { journaled: false, version: self.version + 1, ..self.clone() };
        Ok(RewardChange { reward, read_version: self.version, from: LISTABLE, balance: None })
    }
}
