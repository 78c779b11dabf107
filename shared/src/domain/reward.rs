//! Rewards: what a customer got for their points, and where it stands.

use rust_decimal::Decimal;

use super::lots::Lot;
use super::rule::Priced;
use super::rule::{RedeemRule, RewardType};
use super::shop::Shop;
use super::{ids, vocabulary, Time};

vocabulary! {
    pub enum RewardStatus {
        /// Points taken; Shopify has not confirmed the reward yet.
        Pending = "PENDING",
        Unused = "UNUSED",
        Used = "USED",
        Refunded = "REFUNDED",
        Expired = "EXPIRED",
        /// Shopify refused or could not be reached; the points were given back.
        Failed = "FAILED",
    }
}

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
    pub id: u64,
    pub shop: String,
    pub customer_id: u64,
    pub point_redeem_rule_id: u64,
    pub description: String,
    /// The code to enter at checkout; absent for store credit, which needs none.
    pub discount_code: Option<String>,
    /// Shopify's id of the discount, or of the store credit transaction.
    pub discount_code_id: Option<String>,
    pub status: RewardStatus,
    pub reward_type: RewardKind,
    pub discount_type: RewardType,
    pub discount_value: Option<Decimal>,
    /// The money value of the reward where it has one: the amount off, the credit, the product's price.
    pub amount: Option<Decimal>,
    pub currency: String,
    pub variant_id: Option<u64>,
    pub points_redeemed: i64,
    pub deduction_mode: DeductionMode,
    /// The reward's points went back to the customer (failed, refunded, or expired with points returned).
    pub points_returned: bool,
    pub expire_date: Option<Time>,
    pub create_at: Time,
    pub used_at: Option<Time>,
    pub order_id: Option<u64>,
    pub order_name: Option<String>,
    /// When the shop took the unused reward back (`POST /rewards/{id}/refund`).
    pub refunded_at: Option<Time>,
    /// Why Shopify did not issue the reward, for `FAILED` rewards.
    pub failure_reason: Option<String>,
    /// Why an operator must decide whether Shopify issued this `PENDING` reward.
    pub review_reason: Option<String>,
    /// A refund begun and not finished: the shop asked to take the reward back and its code may already be
    /// deactivated in Shopify. Reconciliation finishes or abandons it, by what Shopify holds.
    pub refund_requested: Option<RefundRequest>,
    /// Points taken again from the balance when an order used the code after the reward's points had been
    /// given back (a refund or an expiry racing the order); fewer than the reward's cost when the balance
    /// no longer covered them.
    pub points_taken_late: Option<i64>,
    /// The lots the reward's points were taken from, so that points given back return to them.
    pub lots: Vec<Lot>,
}

/// The shop's request to take a reward back, while it is carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub reason: String,
    pub at: Time,
}

/// Why a reward cannot be refunded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotRefundable {
    #[error("it expired at {}", super::rfc3339(*.0))]
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
    /// A new reward for `rule` at the price a redemption's checks gave, waiting for Shopify, created `now`.
    /// `variant_price` is the price of `priced.variant`, for a free product.
    pub fn pending(
        shop: &Shop,
        customer_id: u64,
        rule: &RedeemRule,
        priced: &Priced,
        variant_price: Option<Decimal>,
        deduction_mode: DeductionMode,
        now: Time,
    ) -> Reward {
        let expire_date = rule.expires_after_days.map(|days| now + time::Duration::days(i64::from(days)));
        let (reward_type, discount_code) = match rule.reward_type {
            RewardType::StoreCredit => (RewardKind::StoreCredit, None),
            _ => (RewardKind::DiscountCode, Some(ids::discount_code(&shop.code_prefix))),
        };
        let amount = match rule.reward_type {
            RewardType::FixedAmount | RewardType::StoreCredit => priced.value,
            RewardType::FreeProduct => variant_price,
            RewardType::Percentage | RewardType::FreeShipping => None,
        };
        // A variable rule's reward is worth what its points bought; a fixed rule's, the rule's value.
        let discount_value = if rule.variable.is_some() { priced.value } else { rule.discount_value };
        Reward {
            id: ids::reward_id(),
            shop: shop.domain.clone(),
            customer_id,
            point_redeem_rule_id: rule.id,
            description: rule.name.clone(),
            discount_code,
            discount_code_id: None,
            status: RewardStatus::Pending,
            reward_type,
            discount_type: rule.reward_type,
            discount_value,
            amount,
            currency: shop.currency.clone(),
            variant_id: priced.variant,
            points_redeemed: priced.points,
            deduction_mode,
            points_returned: false,
            expire_date,
            create_at: now,
            used_at: None,
            order_id: None,
            order_name: None,
            refunded_at: None,
            failure_reason: None,
            review_reason: None,
            refund_requested: None,
            points_taken_late: None,
            lots: vec![],
        }
    }

    /// The same reward under a fresh id, after the first one turned out to be taken.
    pub fn with_new_id(mut self) -> Reward {
        self.id = ids::reward_id();
        self
    }

    /// A fresh code for the same reward, after the first one turned out to be taken.
    pub fn with_new_code(mut self, prefix: &str) -> Reward {
        if self.discount_code.is_some() {
            self.discount_code = Some(ids::discount_code(prefix));
        }
        self
    }

    pub fn is_pending(&self) -> bool {
        self.status == RewardStatus::Pending
    }

    /// Only an unused reward that has not reached its end can be refunded. `now` is `None` when the end no
    /// longer matters (the reward was refundable when the refund began).
    pub fn refundable(&self, now: Option<Time>) -> Result<(), NotRefundable> {
        Err(match self.status {
            RewardStatus::Unused => match (self.expire_date, now) {
                (Some(end), Some(now)) if end <= now => NotRefundable::PastItsEnd(end),
                _ => return Ok(()),
            },
            RewardStatus::Pending => NotRefundable::Pending,
            RewardStatus::Used if self.discount_code.is_none() => NotRefundable::StoreCredit,
            RewardStatus::Used => NotRefundable::Used,
            RewardStatus::Refunded => NotRefundable::Refunded,
            RewardStatus::Expired => NotRefundable::Expired,
            RewardStatus::Failed => NotRefundable::Failed,
        })
    }

    /// The change of balance that gives the reward's points back: a reservation released, or a debit
    /// reversed.
    pub fn points_back(&self, reason: &str) -> super::ledger::BalanceChange {
        use super::ledger::BalanceChange;
        match self.deduction_mode {
            DeductionMode::OnOrder => BalanceChange::release_reservation(self.points_redeemed, self.id, reason),
            DeductionMode::Immediate => BalanceChange::reverse_redeem(self.points_redeemed, self.id, reason),
        }
        .from_lots(&self.lots)
    }

    /// Whether an order using the code now would come after the reward's points went back: it was refunded
    /// unused, or it expired with its points (or its reservation) returned.
    pub fn used_late_would_take_points(&self) -> bool {
        match self.status {
            RewardStatus::Refunded => self.order_id.is_none(),
            RewardStatus::Expired => self.points_returned,
            _ => false,
        }
    }

    /// The points an order's cancellation gives back: what the reward cost, or what was taken late.
    pub fn points_to_return(&self) -> i64 {
        self.points_taken_late.unwrap_or(self.points_redeemed)
    }

    /// The change of balance that pays for the reward when it is created.
    pub fn payment(&self) -> super::ledger::BalanceChange {
        use super::ledger::BalanceChange;
        match self.deduction_mode {
            DeductionMode::Immediate => BalanceChange::redeem(self.points_redeemed, self.id),
            DeductionMode::OnOrder => BalanceChange::reserve(self.points_redeemed, self.id),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rule::{CombinesWith, RuleStatus};
    use time::macros::datetime;

    fn reward(status: RewardStatus, expire_date: Option<Time>) -> Reward {
        let shop =
            Shop::new("s.myshopify.com", crate::domain::shop::Access::StaticToken, datetime!(2026-11-01 0:00 UTC))
                .unwrap();
        let rule = RedeemRule {
            id: 1,
            name: "$5 off".into(),
            status: RuleStatus::Active,
            reward_type: RewardType::FixedAmount,
            points_cost: 100,
            variable: None,
            discount_value: Some(Decimal::new(500, 2)),
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        };
        let mut reward = Reward::pending(
            &shop,
            1,
            &rule,
            &Priced::at_cost(&rule),
            None,
            DeductionMode::Immediate,
            datetime!(2026-11-01 0:00 UTC),
        );
        reward.status = status;
        reward.expire_date = expire_date;
        reward
    }

    #[test]
    fn only_an_unused_reward_before_its_end_is_refundable() {
        let now = Some(datetime!(2026-11-20 0:00 UTC));
        assert!(reward(RewardStatus::Unused, None).refundable(now).is_ok());
        assert!(reward(RewardStatus::Unused, Some(datetime!(2026-12-01 0:00 UTC))).refundable(now).is_ok());
        let ended = datetime!(2026-11-19 0:00 UTC);
        assert_eq!(reward(RewardStatus::Unused, Some(ended)).refundable(now), Err(NotRefundable::PastItsEnd(ended)));
        assert!(reward(RewardStatus::Unused, Some(ended)).refundable(None).is_ok(), "without a clock, no end");
        for status in [
            RewardStatus::Pending,
            RewardStatus::Used,
            RewardStatus::Refunded,
            RewardStatus::Expired,
            RewardStatus::Failed,
        ] {
            assert!(reward(status, None).refundable(now).is_err(), "{status}");
        }
    }

    #[test]
    fn a_reward_costs_its_rule_and_is_worth_its_value() {
        let fixed = reward(RewardStatus::Pending, None);
        assert_eq!((fixed.points_redeemed, fixed.amount), (100, Some(Decimal::new(500, 2))));
        assert!(fixed.discount_code.as_deref().is_some_and(|code| code.starts_with("TALLY-")));
        assert_eq!(fixed.payment().needs(), 100);
        assert_eq!(fixed.points_back("failed").available, 100);
    }
}
