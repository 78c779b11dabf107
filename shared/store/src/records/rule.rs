//! A redemption rule's item.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use tally_app::ports::StoreError;
use tally_domain::ids::{RuleId, VariantId};
use tally_domain::rule::{CombinesWith, RedeemRule, RewardType, RuleStatus, VariableCost};

use super::corrupt;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleRecord {
    pub id: u64,
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    pub points_cost: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variable: Option<VariableRecord>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_value: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_ids: Vec<u64>,
    #[serde(default)]
    pub combines_with: CombinesWithRecord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_tier: Option<String>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct VariableRecord {
    pub points_step: i64,
    pub value_per_step: Decimal,
    pub min_points: i64,
    pub max_points: i64,
}

impl From<VariableCost> for VariableRecord {
    fn from(v: VariableCost) -> Self {
        VariableRecord {
            points_step: v.points_step,
            value_per_step: v.value_per_step,
            min_points: v.min_points,
            max_points: v.max_points,
        }
    }
}

impl From<VariableRecord> for VariableCost {
    fn from(v: VariableRecord) -> Self {
        VariableCost {
            points_step: v.points_step,
            value_per_step: v.value_per_step,
            min_points: v.min_points,
            max_points: v.max_points,
        }
    }
}

#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct CombinesWithRecord {
    pub order_discounts: bool,
    pub product_discounts: bool,
    pub shipping_discounts: bool,
}

impl From<&RedeemRule> for RuleRecord {
    fn from(r: &RedeemRule) -> Self {
        let c = r.combines_with;
        RuleRecord {
            id: r.id.get(),
            name: r.name.clone(),
            status: r.status,
            reward_type: r.reward_type,
            points_cost: r.points_cost,
            variable: r.variable.map(VariableRecord::from),
            discount_value: r.discount_value,
            minimum_subtotal: r.minimum_subtotal,
            expires_after_days: r.expires_after_days,
            variant_ids: r.variant_ids.iter().map(|v| v.get()).collect(),
            combines_with: CombinesWithRecord {
                order_discounts: c.order_discounts,
                product_discounts: c.product_discounts,
                shipping_discounts: c.shipping_discounts,
            },
            vip_tier: r.vip_tier.clone(),
        }
    }
}

impl TryFrom<RuleRecord> for RedeemRule {
    type Error = StoreError;

    fn try_from(r: RuleRecord) -> Result<Self, StoreError> {
        let c = r.combines_with;
        let variant_ids = r
            .variant_ids
            .iter()
            .map(|v| VariantId::new(*v).ok_or_else(|| corrupt("a rule offers variant 0")))
            .collect::<Result<_, _>>()?;
        Ok(RedeemRule {
            id: RuleId::new(r.id).ok_or_else(|| corrupt("a rule has id 0"))?,
            name: r.name,
            status: r.status,
            reward_type: r.reward_type,
            points_cost: r.points_cost,
            variable: r.variable.map(VariableCost::from),
            discount_value: r.discount_value,
            minimum_subtotal: r.minimum_subtotal,
            expires_after_days: r.expires_after_days,
            variant_ids,
            combines_with: CombinesWith {
                order_discounts: c.order_discounts,
                product_discounts: c.product_discounts,
                shipping_discounts: c.shipping_discounts,
            },
            vip_tier: r.vip_tier,
        })
    }
}

/// The item that keeps a rule's id under another name: an import's alias (the other program's id), or the
/// id of a rule that was deleted, which no import takes again.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleIdRecord {
    pub rule_id: u64,
}

impl RuleIdRecord {
    pub fn rule_id(&self) -> Result<RuleId, StoreError> {
        RuleId::new(self.rule_id).ok_or_else(|| corrupt("an alias of rule 0"))
    }
}
