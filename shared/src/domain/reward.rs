//! Rewards: what a customer got for their points, and where it stands.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::rule::{RedeemRule, RewardType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardStatus {
    /// Points taken; Shopify has not confirmed the reward yet.
    Pending,
    Unused,
    Used,
    Refunded,
    Expired,
    /// Shopify refused or could not be reached; the points were given back.
    Failed,
}

/// When a reward's points are paid: at once, or when the order that uses its code arrives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeductionMode {
    #[default]
    Immediate,
    OnOrder,
}

/// Appstle's coarse kind of reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RewardKind {
    DiscountCode,
    StoreCredit,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reward {
    pub id: u64,
    pub shop: String,
    pub customer_id: u64,
    pub point_redeem_rule_id: u64,
    pub description: String,
    /// The code to enter at checkout; absent for store credit, which needs none.
    #[serde(default)]
    pub discount_code: Option<String>,
    /// Shopify's id of the discount, or of the store credit transaction.
    #[serde(default)]
    pub discount_code_id: Option<String>,
    pub status: RewardStatus,
    pub reward_type: RewardKind,
    pub discount_type: RewardType,
    #[serde(default)]
    pub discount_value: Option<Decimal>,
    /// The money value of the reward where it has one: the amount off, the credit, the product's price.
    #[serde(default)]
    pub amount: Option<Decimal>,
    pub currency: String,
    #[serde(default)]
    pub variant_id: Option<u64>,
    pub points_redeemed: i64,
    #[serde(default)]
    pub deduction_mode: DeductionMode,
    /// The reward's points went back to the customer (failed, refunded, or expired with points returned).
    #[serde(default)]
    pub points_returned: bool,
    #[serde(default)]
    pub expire_date: Option<String>,
    pub create_at: String,
    #[serde(default)]
    pub used_at: Option<String>,
    #[serde(default)]
    pub order_id: Option<u64>,
    #[serde(default)]
    pub order_name: Option<String>,
    /// When the shop took the unused reward back (`POST /rewards/{id}/refund`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<String>,
    /// Why Shopify did not issue the reward, for `FAILED` rewards.
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Why an operator must decide whether Shopify issued this `PENDING` reward.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
}

impl Reward {
    /// A new reward for `rule`, waiting for Shopify.
    pub fn pending(
        shop: &super::shop::Shop,
        customer_id: u64,
        rule: &RedeemRule,
        variant: Option<(u64, Decimal)>,
        deduction_mode: DeductionMode,
    ) -> Reward {
        let now = super::now();
        let expire_date =
            rule.expires_after_days.map(|days| super::rfc3339(now + time::Duration::days(i64::from(days))));
        let (reward_type, discount_code) = match rule.reward_type {
            RewardType::StoreCredit => (RewardKind::StoreCredit, None),
            _ => (RewardKind::DiscountCode, Some(super::ids::discount_code(&shop.code_prefix))),
        };
        let amount = match rule.reward_type {
            RewardType::FixedAmount | RewardType::StoreCredit => rule.discount_value,
            RewardType::FreeProduct => variant.map(|(_, price)| price),
            RewardType::Percentage | RewardType::FreeShipping => None,
        };
        Reward {
            id: super::ids::reward_id(),
            shop: shop.domain.clone(),
            customer_id,
            point_redeem_rule_id: rule.id,
            description: rule.name.clone(),
            discount_code,
            discount_code_id: None,
            status: RewardStatus::Pending,
            reward_type,
            discount_type: rule.reward_type,
            discount_value: rule.discount_value,
            amount,
            currency: shop.currency.clone(),
            variant_id: variant.map(|(id, _)| id),
            points_redeemed: rule.points_cost,
            deduction_mode,
            points_returned: false,
            expire_date,
            create_at: super::rfc3339(now),
            used_at: None,
            order_id: None,
            order_name: None,
            refunded_at: None,
            failure_reason: None,
            review_reason: None,
        }
    }

    /// A fresh code for the same reward, after the first one turned out to be taken.
    pub fn with_new_code(mut self, prefix: &str) -> Reward {
        if self.discount_code.is_some() {
            self.discount_code = Some(super::ids::discount_code(prefix));
        }
        self
    }
}
