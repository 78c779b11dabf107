//! Redemption rules: what a number of points buys.

mod alias;

pub use alias::{NotAnAlias, RuleAlias, MAX_ALIAS_LENGTH};

use rust_decimal::Decimal;

use super::ids::{RuleId, VariantId};
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
    pub id: RuleId,
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    /// What the rule costs; for a variable rule, the least it can cost (`variable.min_points`).
    pub points_cost: i64,
    /// Set when the customer chooses how many points to spend.
    pub variable: Option<VariableCost>,
    pub discount_value: Option<Decimal>,
    pub minimum_subtotal: Option<Decimal>,
    pub expires_after_days: Option<u32>,
    pub variant_ids: Vec<VariantId>,
    pub combines_with: CombinesWith,
    /// When set, only customers on this VIP tier may redeem the rule.
    pub vip_tier: Option<String>,
}

/// What a redemption that passed its checks will take and give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priced {
    pub points: i64,
    /// The amount the reward is worth, where its rule has one (a variable rule's: the points' value).
    pub value: Option<Decimal>,
    /// The variant to give, for free products.
    pub variant: Option<VariantId>,
}

impl Priced {
    /// A fixed rule's reward at its cost, with no variant.
    pub fn at_cost(rule: &RedeemRule) -> Priced {
        Priced { points: rule.points_cost, value: rule.discount_value, variant: None }
    }
}

/// A variable rule's price: any multiple of `points_step` from `min_points` to `max_points`, each step worth
/// `value_per_step` (Appstle's and Yotpo's "customer chooses the amount").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VariableCost {
    pub points_step: i64,
    pub value_per_step: Decimal,
    pub min_points: i64,
    pub max_points: i64,
}

/// Points a customer asked a variable rule for that it does not sell (or none at all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PointsOutOfRange {
    pub cost: VariableCost,
    pub asked: Option<i64>,
}

impl std::fmt::Display for PointsOutOfRange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let VariableCost { points_step, min_points, max_points, .. } = self.cost;
        let range = format!("a multiple of {points_step} from {min_points} to {max_points}");
        match self.asked {
            Some(points) => write!(f, "points must be {range}, not {points}"),
            None => write!(f, "points is required for this reward: {range}"),
        }
    }
}

impl std::error::Error for PointsOutOfRange {}

impl VariableCost {
    /// The reward `points` buy: exactly `points / points_step × value_per_step`.
    pub fn value_of(&self, points: i64) -> Result<Decimal, PointsOutOfRange> {
        let fits = (self.min_points..=self.max_points).contains(&points) && points % self.points_step == 0;
        if !fits {
            return Err(PointsOutOfRange { cost: *self, asked: Some(points) });
        }
        let out_of_range = PointsOutOfRange { cost: *self, asked: Some(points) };
        Decimal::from(points / self.points_step).checked_mul(self.value_per_step).ok_or(out_of_range)
    }
}

/// A variable price as a merchant describes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VariableDraft {
    pub points_step: Number,
    pub value_per_step: Decimal,
    pub min_points: Number,
    pub max_points: Number,
}

/// A rule as a merchant describes it, before it has an id and before it is checked.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleDraft {
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    /// Exactly one of `points_cost` and `variable`.
    pub points_cost: Option<Number>,
    pub variable: Option<VariableDraft>,
    pub discount_value: Option<Decimal>,
    pub minimum_subtotal: Option<Decimal>,
    pub expires_after_days: Option<u32>,
    pub variant_ids: Vec<u64>,
    pub combines_with: CombinesWith,
    pub vip_tier: Option<String>,
}

/// The most a variable rule's reward may be worth.
pub const MAX_VARIABLE_VALUE: Decimal = Decimal::from_parts(1_000_000_000, 0, 0, false, 0);

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
    #[error("give either pointsCost or variable, not both and not neither")]
    CostOrVariable,
    #[error("variable applies to FIXED_AMOUNT and STORE_CREDIT rules only")]
    VariableType,
    #[error("a variable rule's value comes from variable.valuePerStep; leave discountValue out")]
    VariableWithValue,
    #[error("variable.minPoints and variable.maxPoints must be multiples of variable.pointsStep, minPoints at most maxPoints")]
    VariableRange,
    #[error(
        "variable.valuePerStep must be a positive amount, and maxPoints may be worth at most {MAX_VARIABLE_VALUE}"
    )]
    VariableValue,
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
    /// What is wrong with the draft, if anything: checked before the rule is given an id.
    pub fn check(&self) -> Result<(), RuleError> {
        self.clone().into_rule(RuleId::FIRST).map(|_| ())
    }

    /// Checks the draft as a whole and gives the rule it describes, under `id`.
    pub fn into_rule(self, id: RuleId) -> Result<RedeemRule, RuleError> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            return Err(RuleError::Name);
        }
        let (points_cost, variable) = match (self.points_cost, self.variable) {
            (Some(cost), None) => {
                check_discount_value(self.reward_type, self.discount_value)?;
                (Points::new("pointsCost", cost)?.get(), None)
            }
            (None, Some(variable)) => {
                if !matches!(self.reward_type, RewardType::FixedAmount | RewardType::StoreCredit) {
                    return Err(RuleError::VariableType);
                }
                if self.discount_value.is_some() {
                    return Err(RuleError::VariableWithValue);
                }
                let variable = variable.checked()?;
                (variable.min_points, Some(variable))
            }
            _ => return Err(RuleError::CostOrVariable),
        };
        if self.minimum_subtotal.is_some_and(|min| min.is_sign_negative() || min.scale() > 4) {
            return Err(RuleError::MinimumSubtotal);
        }
        if matches!(self.expires_after_days, Some(0)) || self.expires_after_days > Some(MAX_EXPIRES_AFTER_DAYS) {
            return Err(RuleError::ExpiresAfterDays);
        }
        if !self.variant_ids.is_empty() && self.reward_type != RewardType::FreeProduct {
            return Err(RuleError::VariantsNotExpected);
        }
        let variant_ids = self
            .variant_ids
            .iter()
            .map(|id| VariantId::new(*id).ok_or(RuleError::VariantId))
            .collect::<Result<_, _>>()?;
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
            variable,
            discount_value: self.discount_value,
            minimum_subtotal: self.minimum_subtotal,
            expires_after_days: self.expires_after_days,
            variant_ids,
            combines_with: self.combines_with,
            vip_tier,
        })
    }
}

impl VariableDraft {
    fn checked(self) -> Result<VariableCost, RuleError> {
        let points_step = Points::new("variable.pointsStep", self.points_step)?.get();
        let min_points = Points::new("variable.minPoints", self.min_points)?.get();
        let max_points = Points::new("variable.maxPoints", self.max_points)?.get();
        if min_points > max_points || min_points % points_step != 0 || max_points % points_step != 0 {
            return Err(RuleError::VariableRange);
        }
        let value = self.value_per_step;
        // The most the rule can give must be an amount, not a number past what an order could use.
        let most = Decimal::from(max_points / points_step).checked_mul(value);
        if value <= Decimal::ZERO || value.scale() > 4 || most.is_none_or(|m| m > MAX_VARIABLE_VALUE) {
            return Err(RuleError::VariableValue);
        }
        Ok(VariableCost { points_step, value_per_step: value, min_points, max_points })
    }
}

impl RedeemRule {
    /// The points a redemption spends, and the amount it is worth where the rule has one: a fixed rule's
    /// cost (any `asked` must be it), or the customer's choice within a variable rule's range.
    pub fn price(&self, asked: Option<i64>) -> Result<(i64, Option<Decimal>), RulePriceError> {
        match (&self.variable, asked) {
            (Some(variable), Some(points)) => Ok((points, Some(variable.value_of(points)?))),
            (Some(variable), None) => Err(PointsOutOfRange { cost: *variable, asked: None }.into()),
            (None, Some(points)) if points != self.points_cost => {
                Err(RulePriceError::NotTheCost { cost: self.points_cost, points })
            }
            (None, _) => Ok((self.points_cost, self.discount_value)),
        }
    }
}

/// Why `points` do not buy a rule's reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RulePriceError {
    #[error(transparent)]
    OutOfRange(#[from] PointsOutOfRange),
    #[error("this reward costs {cost} points, not {points}")]
    NotTheCost { cost: i64, points: i64 },
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
mod tests;
