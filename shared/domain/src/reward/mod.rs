//! Rewards: what a customer got for their points, and where it stands. A reward's life is one state
//! machine: `state` says where it stands, and each change of it is a pure function in `change` that says
//! from which states it may happen, what the reward becomes, and what it does to the balance.

mod change;
mod imported;
mod issuance;
mod state;

pub use change::{CancelReason, NotApplicable, RefundRefused, RewardChange};
pub use imported::{NotImportable, RewardImport, RuleNamed};
pub use issuance::{DiscountSpec, DiscountValue, Issuance, StoreCreditSpec};
pub use state::{FailureReason, Refund, RefundRequest, ReviewReason, RewardState, RewardStatus, Usage};

use rust_decimal::Decimal;

use crate::ids::{CustomerId, RewardId, RuleId, VariantId};
use crate::ledger::{BalanceChange, TallyChange};
use crate::lots::Lot;
use crate::order::OrderRef;
use crate::rule::{Priced, RedeemRule, RewardType};
use crate::shop::{Shop, ShopDomain};
use crate::{vocabulary, Time};

vocabulary! {
    /// When a reward's points are paid: at once, or when the order that uses its code arrives.
    pub enum DeductionMode {
        Immediate = "IMMEDIATE",
        OnOrder = "ON_ORDER",
    }
}

vocabulary! {
    /// Appstle's coarse kind of reward.
    pub enum RewardKind {
        DiscountCode = "DISCOUNT_CODE",
        StoreCredit = "STORE_CREDIT",
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Reward {
    pub id: RewardId,
    pub shop: ShopDomain,
    pub customer_id: CustomerId,
    pub point_redeem_rule_id: RuleId,
    pub description: String,
    /// The code to enter at checkout; absent for store credit, which needs none.
    pub discount_code: Option<String>,
    /// Shopify's id of the discount, or of the store credit transaction, once issued.
    pub discount_code_id: Option<String>,
    pub reward_type: RewardKind,
    pub discount_type: RewardType,
    pub discount_value: Option<Decimal>,
    /// The money value of the reward where it has one: the amount off, the credit, the product's price.
    pub amount: Option<Decimal>,
    pub currency: String,
    pub variant_id: Option<VariantId>,
    pub points_redeemed: i64,
    pub deduction_mode: DeductionMode,
    pub expire_date: Option<Time>,
    pub create_at: Time,
    /// The lots the reward's points were taken from, so that points given back return to them.
    pub lots: Vec<Lot>,
    /// Bumped by every change; each change is conditioned on the version it was decided on.
    pub version: u64,
    pub state: RewardState,
    /// The jobs could not settle it and come back no sooner than this (see `Reward::put_off`).
    pub put_off: Option<PutOff>,
    /// Moved in from another program (`RewardImport`): its points were spent there, so no ledger entry of
    /// Tally's paid for it, and its arrival is no event.
    pub imported: bool,
    /// Made by a redemption, which lists it only in its journal (an index entry that is never moved, on the
    /// ledger entry that paid for it), so that the redemption writes the fewest index entries: unlisted
    /// (`listing` is none) until a job lists it where it stands (`Reward::listed`), once past its grace.
    pub journaled: bool,
}

/// A job's visit put off: the reward is listed again at `until`, after `attempts` visits that could not
/// settle it (Shopify failing, the order that used its code not seen yet).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PutOff {
    pub until: Time,
    pub attempts: u32,
}

/// Where a reward is listed for the jobs to find it, given where it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Waiting for Shopify, by when it was created: reconciliation settles it after a grace period.
    Pending(Time),
    /// Waiting for an operator, by when it was created.
    Review(Time),
    /// Unused, by its end: the expiry job ends it.
    Expiring(Time),
    /// Being refunded, by when the refund began: reconciliation finishes one left halfway.
    Refunding(Time),
}

/// Why a reward cannot be refunded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRefundable {
    #[error("it expired at {}", crate::rfc3339(*.0))]
    PastItsEnd(Time),
    #[error("Shopify has not confirmed it yet; try again in a minute")]
    Pending,
    #[error("store credit cannot be taken back")]
    StoreCredit,
    #[error("an order used its code")]
    Used,
    #[error("an order used its code in Shopify; its order's webhook will settle it")]
    CodeUsed,
    #[error("it was refunded already")]
    Refunded,
    #[error("it expired")]
    Expired,
    #[error("Shopify never issued it, and its points were returned")]
    Failed,
}

impl Reward {
    /// A new reward `id` for `rule` at the price a redemption's checks gave, waiting for Shopify, created
    /// `now`, with `code` unless it is store credit. `variant_price` is the price of `priced.variant`.
    #[allow(clippy::too_many_arguments)]
    pub fn pending(
        shop: &Shop,
        customer_id: CustomerId,
        rule: &RedeemRule,
        priced: &Priced,
        variant_price: Option<Decimal>,
        deduction_mode: DeductionMode,
        now: Time,
        (id, code): (RewardId, String),
    ) -> Reward {
        let expire_date = rule.expires_after_days.and_then(|days| now.checked_add(time::Duration::days(days.into())));
        let (reward_type, discount_code) = match rule.reward_type {
            RewardType::StoreCredit => (RewardKind::StoreCredit, None),
            _ => (RewardKind::DiscountCode, Some(code)),
        };
        let amount = match rule.reward_type {
            RewardType::FixedAmount | RewardType::StoreCredit => priced.value,
            RewardType::FreeProduct => variant_price,
            RewardType::Percentage | RewardType::FreeShipping => None,
        };
        // A variable rule's reward is worth what its points bought; a fixed rule's, the rule's value.
        let discount_value = if rule.variable.is_some() { priced.value } else { rule.discount_value };
        Reward {
            id,
            shop: shop.domain.clone(),
            customer_id,
            point_redeem_rule_id: rule.id,
            description: rule.name.clone(),
            discount_code,
            discount_code_id: None,
            reward_type,
            discount_type: rule.reward_type,
            discount_value,
            amount,
            currency: shop.currency.clone(),
            variant_id: priced.variant,
            points_redeemed: priced.points,
            deduction_mode,
            expire_date,
            create_at: now,
            lots: vec![],
            version: 0,
            state: RewardState::Pending { review: None },
            put_off: None,
            imported: false,
            journaled: true,
        }
    }

    /// The same reward under another id, after the first one turned out to be taken.
    pub fn with_id(self, id: RewardId) -> Reward {
        Reward { id, ..self }
    }

    /// The same reward with another code, after the first one turned out to be taken.
    pub fn with_code(self, code: String) -> Reward {
        let discount_code = self.discount_code.as_ref().map(|_| code);
        Reward { discount_code, ..self }
    }

    pub fn status(&self) -> RewardStatus {
        self.state.status()
    }

    pub fn is_pending(&self) -> bool {
        self.status() == RewardStatus::Pending
    }

    /// Shopify's id of the reward once Shopify has issued it, whatever became of it since; none while it
    /// is pending or when Shopify never issued it.
    pub fn issued_as(&self) -> Option<&str> {
        match self.state {
            RewardState::Pending { .. } | RewardState::Failed { .. } => None,
            _ => self.discount_code_id.as_deref(),
        }
    }

    pub fn points_returned(&self) -> bool {
        self.state.points_returned()
    }

    /// The order that used the reward, if one did.
    pub fn order(&self) -> Option<&OrderRef> {
        self.state.usage().and_then(|usage| usage.order.as_ref())
    }

    pub fn review_reason(&self) -> Option<ReviewReason> {
        match self.state {
            RewardState::Pending { review } => review,
            _ => None,
        }
    }

    pub fn refund_request(&self) -> Option<&RefundRequest> {
        match &self.state {
            RewardState::Unused { refund } => refund.as_ref(),
            _ => None,
        }
    }

    /// Where the reward is listed for the jobs, given where it stands: a visit put off lists it at the
    /// time it was put off to, so that it no longer holds the head of its listing. A reward still in its
    /// redemption's journal is not listed yet.
    pub fn listing(&self) -> Option<Listing> {
        if self.journaled {
            return None;
        }
        let later = |at: Time| self.put_off.map_or(at, |put_off| at.max(put_off.until));
        match (&self.state, self.expire_date) {
            (RewardState::Pending { review: None }, _) => Some(Listing::Pending(later(self.create_at))),
            (RewardState::Pending { review: Some(_) }, _) => Some(Listing::Review(self.create_at)),
            (RewardState::Unused { refund: Some(request) }, _) => Some(Listing::Refunding(later(request.at))),
            (RewardState::Unused { refund: None }, Some(end)) => Some(Listing::Expiring(later(end))),
            _ => None,
        }
    }

    /// Only an unused reward that has not reached its end can be refunded. `now` is `None` when the end no
    /// longer matters (the reward was refundable when the refund began).
    pub fn refundable(&self, now: Option<Time>) -> Result<(), NotRefundable> {
        Err(match &self.state {
            RewardState::Unused { .. } => match (self.expire_date, now) {
                (Some(end), Some(now)) if end <= now => NotRefundable::PastItsEnd(end),
                _ => return Ok(()),
            },
            RewardState::Pending { .. } => NotRefundable::Pending,
            RewardState::Used(_) if self.discount_code.is_none() => NotRefundable::StoreCredit,
            RewardState::Used(_) => NotRefundable::Used,
            RewardState::Refunded(_) => NotRefundable::Refunded,
            RewardState::Expired { .. } => NotRefundable::Expired,
            RewardState::Failed { .. } => NotRefundable::Failed,
        })
    }

    /// The change of balance that pays for the reward when it is created.
    pub fn payment(&self) -> BalanceChange {
        let paid = match self.deduction_mode {
            DeductionMode::Immediate => BalanceChange::redeem(self.points_redeemed, self.id),
            DeductionMode::OnOrder => BalanceChange::reserve(self.points_redeemed, self.id),
        };
        paid.tallied(TallyChange { made: 1, store_credit: self.store_credit() })
    }

    /// The change of balance that gives the reward's points back to the lots they came from: a reservation
    /// released, or a debit reversed (its store credit, which never was, uncounted).
    pub fn points_back(&self, reason: &str) -> BalanceChange {
        let back = match self.deduction_mode {
            DeductionMode::OnOrder => BalanceChange::release_reservation(self.points_redeemed, self.id, reason),
            DeductionMode::Immediate => BalanceChange::reverse_redeem(self.points_redeemed, self.id, reason),
        };
        back.from_lots(&self.lots).tallied(TallyChange { made: 0, store_credit: -self.store_credit() })
    }

    /// The store credit the reward is worth; nothing for a discount.
    fn store_credit(&self) -> Decimal {
        match self.reward_type {
            RewardKind::StoreCredit => self.amount.unwrap_or_default(),
            RewardKind::DiscountCode => Decimal::ZERO,
        }
    }
}

#[cfg(test)]
mod tests;
