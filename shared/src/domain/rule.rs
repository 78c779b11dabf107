//! Redemption rules: what a number of points buys.

use rust_decimal::Decimal;

use super::points::{Number, Points, PointsError};
use super::{vocabulary, MAX_TIER_LENGTH};

vocabulary! {
    pub enum RewardType {
        FixedAmount = "FIXED_AMOUNT",
        Percentage = "PERCENTAGE",
        FreeShipping = "FREE_SHIPPING",
        FreeProduct = "FREE_PRODUCT",
        StoreCredit = "STORE_CREDIT",
    }
}

vocabulary! {
    pub enum RuleStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
    }
}

/// Which other discounts a reward's code may be combined with (Shopify's `combinesWith`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CombinesWith {
    pub order_discounts: bool,
    pub product_discounts: bool,
    pub shipping_discounts: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedeemRule {
    pub id: u64,
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    pub points_cost: i64,
    pub discount_value: Option<Decimal>,
    pub minimum_subtotal: Option<Decimal>,
    pub expires_after_days: Option<u32>,
    pub variant_ids: Vec<u64>,
    pub combines_with: CombinesWith,
    /// When set, only customers on this VIP tier may redeem the rule.
    pub vip_tier: Option<String>,
}

/// A rule as a merchant describes it, before it has an id and before it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDraft {
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    pub points_cost: Number,
    pub discount_value: Option<Decimal>,
    pub minimum_subtotal: Option<Decimal>,
    pub expires_after_days: Option<u32>,
    pub variant_ids: Vec<u64>,
    pub combines_with: CombinesWith,
    pub vip_tier: Option<String>,
}

/// Codes from Shopify live at most this long; longer makes no sense for a loyalty reward.
pub const MAX_EXPIRES_AFTER_DAYS: u32 = 3650;
/// The most variants a free-product rule offers.
pub const MAX_VARIANTS: usize = 100;

/// What is wrong with a rule as described.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RuleError {
    #[error("name must be 1 to 255 characters")]
    Name,
    #[error(transparent)]
    PointsCost(#[from] PointsError),
    #[error("discountValue must be a positive amount for FIXED_AMOUNT and STORE_CREDIT")]
    Amount,
    #[error("discountValue must be a percent from 1 to 100 for PERCENTAGE")]
    Percent,
    #[error("discountValue does not apply to FREE_SHIPPING and FREE_PRODUCT")]
    NoValueExpected,
    #[error("minimumSubtotal must be a non-negative amount")]
    MinimumSubtotal,
    #[error("expiresAfterDays must be between 1 and {MAX_EXPIRES_AFTER_DAYS}")]
    ExpiresAfterDays,
    #[error("variantIds only applies to FREE_PRODUCT rules")]
    VariantsNotExpected,
    #[error("variantIds must be Shopify variant ids")]
    VariantId,
    #[error("variantIds lists at most {MAX_VARIANTS} variants")]
    TooManyVariants,
    #[error("vipTier must be at most {MAX_TIER_LENGTH} characters")]
    VipTier,
}

impl RuleDraft {
    /// Checks the draft as a whole and gives the rule it describes, under `id`.
    pub fn into_rule(self, id: u64) -> Result<RedeemRule, RuleError> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(RuleError::Name);
        }
        let points_cost = Points::new("pointsCost", self.points_cost)?.get();
        check_discount_value(self.reward_type, self.discount_value)?;
        if self.minimum_subtotal.is_some_and(|min| min.is_sign_negative() || min.scale() > 4) {
            return Err(RuleError::MinimumSubtotal);
        }
        if matches!(self.expires_after_days, Some(0)) || self.expires_after_days > Some(MAX_EXPIRES_AFTER_DAYS) {
            return Err(RuleError::ExpiresAfterDays);
        }
        if !self.variant_ids.is_empty() && self.reward_type != RewardType::FreeProduct {
            return Err(RuleError::VariantsNotExpected);
        }
        if self.variant_ids.contains(&0) {
            return Err(RuleError::VariantId);
        }
        let vip_tier = self.vip_tier.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if vip_tier.as_ref().is_some_and(|t| t.chars().count() > MAX_TIER_LENGTH) {
            return Err(RuleError::VipTier);
        }
        if self.variant_ids.len() > MAX_VARIANTS {
            return Err(RuleError::TooManyVariants);
        }
        Ok(RedeemRule {
            id,
            name,
            status: self.status,
            reward_type: self.reward_type,
            points_cost,
            discount_value: self.discount_value,
            minimum_subtotal: self.minimum_subtotal,
            expires_after_days: self.expires_after_days,
            variant_ids: self.variant_ids,
            combines_with: self.combines_with,
            vip_tier,
        })
    }
}

fn check_discount_value(kind: RewardType, value: Option<Decimal>) -> Result<(), RuleError> {
    match (kind, value) {
        (RewardType::FixedAmount | RewardType::StoreCredit, Some(v)) if v > Decimal::ZERO && v.scale() <= 4 => Ok(()),
        (RewardType::FixedAmount | RewardType::StoreCredit, _) => Err(RuleError::Amount),
        (RewardType::Percentage, Some(v)) if v > Decimal::ZERO && v <= Decimal::ONE_HUNDRED => Ok(()),
        (RewardType::Percentage, _) => Err(RuleError::Percent),
        (RewardType::FreeShipping | RewardType::FreeProduct, None) => Ok(()),
        (RewardType::FreeShipping | RewardType::FreeProduct, Some(_)) => Err(RuleError::NoValueExpected),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(kind: RewardType, value: Option<&str>) -> RuleDraft {
        RuleDraft {
            name: "r".into(),
            status: RuleStatus::Active,
            reward_type: kind,
            points_cost: Number::Integer(100),
            discount_value: value.map(|v| v.parse().unwrap()),
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        }
    }

    #[test]
    fn the_documented_example_rule_is_accepted() {
        let mut example = draft(RewardType::FixedAmount, Some("5.00"));
        example.minimum_subtotal = Some("25.00".parse().unwrap());
        example.expires_after_days = Some(30);
        example.points_cost = Number::Integer(500);
        let rule = example.into_rule(7).unwrap();
        assert_eq!((rule.id, rule.points_cost, rule.discount_value.unwrap().to_string()), (7, 500, "5.00".into()));
    }

    #[test]
    fn values_that_do_not_fit_the_reward_type_are_refused() {
        let err = |d: RuleDraft| d.into_rule(1).unwrap_err();
        assert_eq!(err(draft(RewardType::Percentage, Some("150"))), RuleError::Percent);
        assert_eq!(err(draft(RewardType::Percentage, Some("0"))), RuleError::Percent);
        assert_eq!(err(draft(RewardType::FixedAmount, Some("-5"))), RuleError::Amount);
        assert_eq!(err(draft(RewardType::StoreCredit, None)), RuleError::Amount);
        assert_eq!(err(draft(RewardType::FreeShipping, Some("5"))), RuleError::NoValueExpected);
        assert!(draft(RewardType::Percentage, Some("15")).into_rule(1).is_ok());
        let mut fractional = draft(RewardType::FreeShipping, None);
        fractional.points_cost = Number::Float(10.5);
        assert!(matches!(err(fractional), RuleError::PointsCost(_)));
        let mut stray_variants = draft(RewardType::FixedAmount, Some("1"));
        stray_variants.variant_ids = vec![5];
        assert_eq!(err(stray_variants), RuleError::VariantsNotExpected);
    }

    #[test]
    fn names_tiers_and_lifetimes_are_bounded() {
        let mut blank = draft(RewardType::FreeShipping, None);
        blank.name = "   ".into();
        assert_eq!(blank.into_rule(1).unwrap_err(), RuleError::Name);
        let mut forever = draft(RewardType::FreeShipping, None);
        forever.expires_after_days = Some(MAX_EXPIRES_AFTER_DAYS + 1);
        assert_eq!(forever.into_rule(1).unwrap_err(), RuleError::ExpiresAfterDays);
        let mut tier = draft(RewardType::FreeShipping, None);
        tier.vip_tier = Some(" Gold ".into());
        assert_eq!(tier.into_rule(1).unwrap().vip_tier.as_deref(), Some("Gold"));
    }
}
