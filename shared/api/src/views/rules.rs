//! Rules, as the external API shows them and as a shopper sees them in the portal.

use rust_decimal::Decimal;
use serde::Serialize;
use tally_domain::error::Refused;
use tally_domain::ids::{RuleId, VariantId};
use tally_domain::redemption::RedeemOption;
use tally_domain::rule::{RedeemRule, RewardType, RuleStatus};

use crate::money;

/// A rule as the API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleView {
    pub id: RuleId,
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    /// A fixed rule's cost; a variable rule has `variable` instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_cost: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub variable: Option<VariableView>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::write_option")]
    pub discount_value: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "money::write_option")]
    pub minimum_subtotal: Option<Decimal>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_after_days: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variant_ids: Vec<VariantId>,
    pub combines_with: CombinesWithView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vip_tier: Option<String>,
    /// The same rule in Appstle's words.
    #[serde(flatten)]
    pub appstle: AppstleRuleView,
}

/// Appstle's rule type (its `GET /api/external/point-redeem-rules` enum; Appstle's reference lists the values,
/// not the field's name, which Tally writes as `type`). Appstle's other types are not Tally's (a body naming
/// one is refused).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppstleType {
    DiscountCode,
    DynamicDiscount,
    FreeShipping,
    FreeProduct,
    StoreCredit,
    ProductDiscount,
    CollectionDiscount,
    BirthdayReward,
    StaticRedeemRule,
}

/// Appstle's discount type: an amount or a percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AppstleDiscountType {
    Fixed,
    Percentage,
}

/// What a rule gives, in the fields of Appstle's rule object, written from Tally's rule: a fixed rule costs
/// `pointsCost`; a variable one is Appstle's `DYNAMIC_DISCOUNT` (or a `STORE_CREDIT`), `discount` for each
/// `variable.pointsStep`, between its required minimum and maximum.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppstleRuleView {
    #[serde(rename = "type")]
    pub kind: AppstleType,
    pub discount_type: Option<AppstleDiscountType>,
    #[serde(serialize_with = "money::write_option")]
    pub discount: Option<Decimal>,
    /// Appstle's object carries `redeemPoints` beside `pointsCost` without saying how they differ: a body's
    /// `redeemPoints` is read as the cost (a variable rule's step), and only `pointsCost` is written.
    #[serde(skip_serializing)]
    pub redeem_points: i64,
    #[serde(serialize_with = "money::write_option")]
    pub minimum_purchase_amount: Option<Decimal>,
    /// The rule's variant when it offers exactly one (`variantIds` lists them all).
    pub variant_id: Option<u64>,
    pub combined_with_product_discount: bool,
    pub combined_with_order_discount: bool,
    pub combined_with_shipping_discount: bool,
    pub enable_minimum_points_to_redeem: bool,
    pub required_minimum_points_to_redeem: Option<i64>,
    pub enable_maximum_points_to_redeem: bool,
    pub required_maximum_points_to_redeem: Option<i64>,
    pub customer_facing_label: String,
    pub redeem_label: String,
    /// Tally's tiers are names (`vipTier`); Appstle's numeric tier id has no meaning here.
    pub vip_tier_id: Option<u64>,
    pub product_id: Option<u64>,
    pub collection_id: Option<u64>,
    pub redeem_all_points: bool,
}

impl AppstleRuleView {
    pub fn of(r: &RedeemRule) -> Self {
        let kind = match (r.reward_type, r.variable.is_some()) {
            (RewardType::FixedAmount, true) => AppstleType::DynamicDiscount,
            (RewardType::FixedAmount | RewardType::Percentage, _) => AppstleType::DiscountCode,
            (RewardType::FreeShipping, _) => AppstleType::FreeShipping,
            (RewardType::FreeProduct, _) => AppstleType::FreeProduct,
            (RewardType::StoreCredit, _) => AppstleType::StoreCredit,
        };
        let discount_type = match r.reward_type {
            RewardType::FixedAmount | RewardType::StoreCredit => Some(AppstleDiscountType::Fixed),
            RewardType::Percentage => Some(AppstleDiscountType::Percentage),
            RewardType::FreeShipping | RewardType::FreeProduct => None,
        };
        let variable = r.variable.as_ref();
        AppstleRuleView {
            kind,
            discount_type,
            discount: variable.map(|v| v.value_per_step).or(r.discount_value),
            redeem_points: variable.map_or(r.points_cost, |v| v.points_step),
            minimum_purchase_amount: r.minimum_subtotal,
            variant_id: match r.variant_ids[..] {
                [only] => Some(only.get()),
                _ => None,
            },
            combined_with_product_discount: r.combines_with.product_discounts,
            combined_with_order_discount: r.combines_with.order_discounts,
            combined_with_shipping_discount: r.combines_with.shipping_discounts,
            enable_minimum_points_to_redeem: variable.is_some(),
            required_minimum_points_to_redeem: variable.map(|v| v.min_points),
            enable_maximum_points_to_redeem: variable.is_some(),
            required_maximum_points_to_redeem: variable.map(|v| v.max_points),
            customer_facing_label: r.name.clone(),
            redeem_label: r.name.clone(),
            vip_tier_id: None,
            product_id: None,
            collection_id: None,
            redeem_all_points: false,
        }
    }
}

/// A variable rule's price, as a rule body gives it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableView {
    pub points_step: i64,
    #[serde(serialize_with = "money::write")]
    pub value_per_step: Decimal,
    pub min_points: i64,
    pub max_points: i64,
}

/// A rule as a shopper sees it in the portal: whether they can take it now and, if not, the code a
/// redemption would be refused with.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeemOptionView {
    #[serde(flatten)]
    pub rule: RuleView,
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable_reason: Option<&'static str>,
    /// How many more points the customer needs, when that is the reason.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub points_needed: Option<i64>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CombinesWithView {
    pub order_discounts: bool,
    pub product_discounts: bool,
    pub shipping_discounts: bool,
}

impl From<RedeemRule> for RuleView {
    fn from(r: RedeemRule) -> Self {
        let c = r.combines_with;
        let appstle = AppstleRuleView::of(&r);
        RuleView {
            id: r.id,
            name: r.name,
            status: r.status,
            reward_type: r.reward_type,
            points_cost: r.variable.is_none().then_some(r.points_cost),
            variable: r.variable.map(|v| VariableView {
                points_step: v.points_step,
                value_per_step: v.value_per_step,
                min_points: v.min_points,
                max_points: v.max_points,
            }),
            discount_value: r.discount_value,
            minimum_subtotal: r.minimum_subtotal,
            expires_after_days: r.expires_after_days,
            variant_ids: r.variant_ids,
            combines_with: CombinesWithView {
                order_discounts: c.order_discounts,
                product_discounts: c.product_discounts,
                shipping_discounts: c.shipping_discounts,
            },
            vip_tier: r.vip_tier,
            appstle,
        }
    }
}

impl From<RedeemOption> for RedeemOptionView {
    fn from(option: RedeemOption) -> Self {
        let points_needed = match option.blocked {
            Some(Refused::InsufficientPoints { available, required }) => Some(required - available),
            _ => None,
        };
        RedeemOptionView {
            available: option.blocked.is_none(),
            unavailable_reason: option.blocked.as_ref().map(crate::errors::code_of),
            points_needed,
            rule: option.rule.into(),
        }
    }
}
