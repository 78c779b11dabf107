//! A reward's item, and the item that makes its code unique in the shop.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::customer::LotRecord;
use super::Attribute;
use crate::domain::lots::Lot;
use crate::domain::reward::{DeductionMode, RefundRequest, Reward, RewardKind, RewardStatus};
use crate::domain::rule::RewardType;
use crate::domain::Time;

pub const STATUS: Attribute = Attribute("status");
pub const DISCOUNT_CODE: Attribute = Attribute("discountCode");
pub const DISCOUNT_CODE_ID: Attribute = Attribute("discountCodeId");
pub const USED_AT: Attribute = Attribute("usedAt");
pub const ORDER_ID: Attribute = Attribute("orderId");
pub const ORDER_NAME: Attribute = Attribute("orderName");
pub const POINTS_RETURNED: Attribute = Attribute("pointsReturned");
pub const FAILURE_REASON: Attribute = Attribute("failureReason");
pub const REFUNDED_AT: Attribute = Attribute("refundedAt");
pub const REVIEW_REASON: Attribute = Attribute("reviewReason");
pub const REFUND_REASON: Attribute = Attribute("refundReason");
pub const REFUND_REQUESTED_AT: Attribute = Attribute("refundRequestedAt");
pub const POINTS_TAKEN_LATE: Attribute = Attribute("pointsTakenLate");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardRecord {
    pub id: u64,
    pub shop: String,
    pub customer_id: u64,
    pub point_redeem_rule_id: u64,
    pub description: String,
    #[serde(default)]
    pub discount_code: Option<String>,
    #[serde(default)]
    pub discount_code_id: Option<String>,
    pub status: RewardStatus,
    pub reward_type: RewardKind,
    pub discount_type: RewardType,
    #[serde(default)]
    pub discount_value: Option<Decimal>,
    #[serde(default)]
    pub amount: Option<Decimal>,
    pub currency: String,
    #[serde(default)]
    pub variant_id: Option<u64>,
    pub points_redeemed: i64,
    #[serde(default = "immediate")]
    pub deduction_mode: DeductionMode,
    #[serde(default)]
    pub points_returned: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expire_date: Option<Time>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_at: Time,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub used_at: Option<Time>,
    #[serde(default)]
    pub order_id: Option<u64>,
    #[serde(default)]
    pub order_name: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<Time>,
    #[serde(default)]
    pub failure_reason: Option<String>,
    /// Absent, not NULL, when empty: review is conditioned on `attribute_not_exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// A refund in progress: both set, or neither (absent, not NULL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refund_requested_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_taken_late: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotRecord>,
}

fn immediate() -> DeductionMode {
    DeductionMode::Immediate
}

/// The item that makes a code unique in the shop and leads from a code to its reward.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeOwnerRecord {
    pub customer_id: u64,
    pub reward_id: u64,
}

impl From<&Reward> for RewardRecord {
    fn from(r: &Reward) -> Self {
        RewardRecord {
            id: r.id,
            shop: r.shop.clone(),
            customer_id: r.customer_id,
            point_redeem_rule_id: r.point_redeem_rule_id,
            description: r.description.clone(),
            discount_code: r.discount_code.clone(),
            discount_code_id: r.discount_code_id.clone(),
            status: r.status,
            reward_type: r.reward_type,
            discount_type: r.discount_type,
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency.clone(),
            variant_id: r.variant_id,
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            points_returned: r.points_returned,
            expire_date: r.expire_date,
            create_at: r.create_at,
            used_at: r.used_at,
            order_id: r.order_id,
            order_name: r.order_name.clone(),
            refunded_at: r.refunded_at,
            failure_reason: r.failure_reason.clone(),
            review_reason: r.review_reason.clone(),
            refund_reason: r.refund_requested.as_ref().map(|request| request.reason.clone()),
            refund_requested_at: r.refund_requested.as_ref().map(|request| request.at),
            points_taken_late: r.points_taken_late,
            lots: r.lots.iter().map(|l| LotRecord { points: l.points, expires_at: l.expires_at }).collect(),
        }
    }
}

impl From<RewardRecord> for Reward {
    fn from(r: RewardRecord) -> Self {
        Reward {
            id: r.id,
            shop: r.shop,
            customer_id: r.customer_id,
            point_redeem_rule_id: r.point_redeem_rule_id,
            description: r.description,
            discount_code: r.discount_code,
            discount_code_id: r.discount_code_id,
            status: r.status,
            reward_type: r.reward_type,
            discount_type: r.discount_type,
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency,
            variant_id: r.variant_id,
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            points_returned: r.points_returned,
            expire_date: r.expire_date,
            create_at: r.create_at,
            used_at: r.used_at,
            order_id: r.order_id,
            order_name: r.order_name,
            refunded_at: r.refunded_at,
            failure_reason: r.failure_reason,
            review_reason: r.review_reason,
            refund_requested: match (r.refund_reason, r.refund_requested_at) {
                (Some(reason), Some(at)) => Some(RefundRequest { reason, at }),
                _ => None,
            },
            points_taken_late: r.points_taken_late,
            lots: r.lots.into_iter().map(|l| Lot { points: l.points, expires_at: l.expires_at }).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rule::Priced;
    use crate::domain::rule::{CombinesWith, RedeemRule, RuleStatus};
    use crate::domain::shop::Shop;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let shop = Shop::new("s.myshopify.com", crate::domain::shop::Access::StaticToken, Time::UNIX_EPOCH).unwrap();
        let rule = RedeemRule {
            id: 1,
            name: "r".into(),
            status: RuleStatus::Active,
            reward_type: RewardType::FixedAmount,
            points_cost: 1,
            variable: None,
            discount_value: Some(Decimal::ONE),
            minimum_subtotal: None,
            expires_after_days: Some(1),
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        };
        let mut reward =
            Reward::pending(&shop, 1, &rule, &Priced::at_cost(&rule), None, DeductionMode::OnOrder, Time::UNIX_EPOCH);
        reward.refunded_at = Some(Time::UNIX_EPOCH);
        reward.review_reason = Some("lost".into());
        reward.refund_requested = Some(RefundRequest { reason: "asked".into(), at: Time::UNIX_EPOCH });
        reward.points_taken_late = Some(3);
        let record = RewardRecord::from(&reward);
        super::super::check::written_under(
            &record,
            &[
                STATUS,
                DISCOUNT_CODE,
                DISCOUNT_CODE_ID,
                USED_AT,
                ORDER_ID,
                ORDER_NAME,
                POINTS_RETURNED,
                FAILURE_REASON,
                REFUNDED_AT,
                REVIEW_REASON,
                REFUND_REASON,
                REFUND_REQUESTED_AT,
                POINTS_TAKEN_LATE,
            ],
        );
        let item: super::super::Item = serde_dynamo::to_item(&record).unwrap();
        assert_eq!(item["expireDate"].as_s().unwrap(), "1970-01-02T00:00:00Z", "times are RFC 3339 text");
        assert_eq!(Reward::from(record), reward);
    }
}
