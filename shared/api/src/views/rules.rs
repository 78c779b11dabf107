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
