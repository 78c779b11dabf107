//! Redemption rules: what a number of points buys.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardType {
    FixedAmount,
    Percentage,
    FreeShipping,
    FreeProduct,
    StoreCredit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleStatus {
    Active,
    Inactive,
}

/// Which other discounts a reward's code may be combined with (Shopify's `combinesWith`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CombinesWith {
    #[serde(default)]
    pub order_discounts: bool,
    #[serde(default)]
    pub product_discounts: bool,
    #[serde(default)]
    pub shipping_discounts: bool,
}

/// A rule as stored and as returned by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeemRule {
    pub id: u64,
    pub name: String,
    pub status: RuleStatus,
    pub reward_type: RewardType,
    pub points_cost: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount_value: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum_subtotal: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_after_days: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub variant_ids: Vec<u64>,
    #[serde(default)]
    pub combines_with: CombinesWith,
    /// When set, only customers on this VIP tier may redeem the rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vip_tier: Option<String>,
}

/// The body of `POST /api/external/point-redeem-rules`: a rule without its id.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RuleInput {
    pub name: String,
    #[serde(default = "active")]
    pub status: RuleStatus,
    pub reward_type: RewardType,
    pub points_cost: serde_json::Value,
    #[serde(default)]
    pub discount_value: Option<Decimal>,
    #[serde(default)]
    pub minimum_subtotal: Option<Decimal>,
    #[serde(default)]
    pub expires_after_days: Option<u32>,
    #[serde(default)]
    pub variant_ids: Vec<u64>,
    #[serde(default)]
    pub combines_with: CombinesWith,
    #[serde(default)]
    pub vip_tier: Option<String>,
}

fn active() -> RuleStatus {
    RuleStatus::Active
}

/// Codes from Shopify live at most this long; longer makes no sense for a loyalty reward.
pub const MAX_EXPIRES_AFTER_DAYS: u32 = 3650;

impl RuleInput {
    /// Checks the input as a whole and gives the rule it describes.
    pub fn into_rule(self, id: u64) -> Result<RedeemRule, String> {
        let name = self.name.trim().to_string();
        if name.is_empty() || name.chars().count() > 255 {
            return Err("name must be 1 to 255 characters".into());
        }
        let points_cost = crate::domain::points::Points::from_json(&self.points_cost)
            .map_err(|e| e.replace("points", "pointsCost"))?
            .0;
        check_discount_value(self.reward_type, self.discount_value)?;
        if let Some(min) = self.minimum_subtotal {
            if min.is_sign_negative() || min.scale() > 4 {
                return Err("minimumSubtotal must be a non-negative amount".into());
            }
        }
        if matches!(self.expires_after_days, Some(0)) || self.expires_after_days > Some(MAX_EXPIRES_AFTER_DAYS) {
            return Err(format!("expiresAfterDays must be between 1 and {MAX_EXPIRES_AFTER_DAYS}"));
        }
        if !self.variant_ids.is_empty() && self.reward_type != RewardType::FreeProduct {
            return Err("variantIds only applies to FREE_PRODUCT rules".into());
        }
        if self.variant_ids.contains(&0) {
            return Err("variantIds must be Shopify variant ids".into());
        }
        let vip_tier = self.vip_tier.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if vip_tier.as_ref().is_some_and(|t| t.chars().count() > crate::domain::customer::MAX_TIER_LENGTH) {
            return Err("vipTier must be at most 64 characters".into());
        }
        if self.variant_ids.len() > 100 {
            return Err("variantIds lists at most 100 variants".into());
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

fn check_discount_value(kind: RewardType, value: Option<Decimal>) -> Result<(), String> {
    match (kind, value) {
        (RewardType::FixedAmount | RewardType::StoreCredit, Some(v)) if v > Decimal::ZERO && v.scale() <= 4 => Ok(()),
        (RewardType::FixedAmount | RewardType::StoreCredit, _) => {
            Err("discountValue must be a positive amount for FIXED_AMOUNT and STORE_CREDIT".into())
        }
        (RewardType::Percentage, Some(v)) if v > Decimal::ZERO && v <= Decimal::ONE_HUNDRED => Ok(()),
        (RewardType::Percentage, _) => Err("discountValue must be a percent from 1 to 100 for PERCENTAGE".into()),
        (RewardType::FreeShipping | RewardType::FreeProduct, None) => Ok(()),
        (RewardType::FreeShipping | RewardType::FreeProduct, Some(_)) => {
            Err("discountValue does not apply to FREE_SHIPPING and FREE_PRODUCT".into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(body: serde_json::Value) -> Result<RedeemRule, String> {
        serde_json::from_value::<RuleInput>(body).map_err(|e| e.to_string())?.into_rule(1)
    }

    #[test]
    fn the_documented_example_rule_is_accepted() {
        let rule = input(json!({"name": "$5 off", "status": "ACTIVE", "rewardType": "FIXED_AMOUNT", "pointsCost": 500,
            "discountValue": "5.00", "minimumSubtotal": "25.00", "expiresAfterDays": 30,
            "combinesWith": {"orderDiscounts": false, "productDiscounts": true, "shippingDiscounts": true}}))
        .unwrap();
        assert_eq!(rule.points_cost, 500);
        assert_eq!(rule.discount_value.unwrap().to_string(), "5.00");
        assert!(rule.combines_with.product_discounts);
    }

    #[test]
    fn values_that_do_not_fit_the_reward_type_are_refused() {
        let base = |kind: &str, value: serde_json::Value| json!({"name": "r", "rewardType": kind, "pointsCost": 100, "discountValue": value});
        assert!(input(base("PERCENTAGE", json!("150"))).is_err());
        assert!(input(base("PERCENTAGE", json!("0"))).is_err());
        assert!(input(base("FIXED_AMOUNT", json!("-5"))).is_err());
        assert!(input(base("FREE_SHIPPING", json!("5"))).is_err());
        assert!(input(base("PERCENTAGE", json!("15"))).is_ok());
        assert!(input(json!({"name": "r", "rewardType": "STORE_CREDIT", "pointsCost": 100})).is_err());
        assert!(input(json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10.5})).is_err());
        assert!(input(json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10, "color": "red"})).is_err());
        assert!(input(json!({"name": "r", "rewardType": "FIXED_AMOUNT", "pointsCost": 10, "discountValue": "1",
            "variantIds": [5]}))
        .is_err());
    }
}
