//! A customer's loyalty information, their rewards, and everything held of them.

use rust_decimal::Decimal;
use serde::Serialize;
use tally_app::privacy::CustomerData;
use tally_app::redeem::Redeemed;
use tally_domain::customer::CustomerStatus;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId, VariantId};
use tally_domain::loyalty::Loyalty;
use tally_domain::reward::{DeductionMode, FailureReason, Refund, Reward, RewardKind, RewardState, RewardStatus};
use tally_domain::rule::RewardType;
use tally_domain::Time;

use super::LedgerEntryView;
use crate::money;

/// Appstle's customer loyalty information, as every customer endpoint returns it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyView {
    pub customer_id: CustomerId,
    pub email: Option<String>,
    pub available_points: i64,
    pub pending_points: i64,
    /// Points held for rewards whose order has not arrived yet.
    pub reserved_points: i64,
    pub credited_points: i64,
    pub spent_points: i64,
    #[serde(serialize_with = "money::write")]
    pub spent_amount: Decimal,
    #[serde(serialize_with = "money::write")]
    pub store_credit_balance: Decimal,
    pub currency: String,
    /// The tier, or an empty string for none, as Appstle gives it.
    pub current_vip_tier: String,
    pub customer_status: CustomerStatus,
    #[serde(with = "time::serde::rfc3339")]
    pub create_at: Time,
    /// The points of the soonest-expiring lot, and when they expire (`0` and `null` when none expire).
    pub expiring_points_amount: i64,
    #[serde(with = "time::serde::rfc3339::option")]
    pub points_expire_at: Option<Time>,
    /// The most recent rewards; `GET /api/external/customer-rewards` pages them all.
    pub rewards: Vec<RewardView>,
    pub rewards_count: usize,
}

/// A reward with Appstle's fields, and Tally's own.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardView {
    pub id: RewardId,
    pub shop: String,
    pub customer_id: CustomerId,
    pub point_redeem_rule_id: RuleId,
    pub description: String,
    pub discount_code: Option<String>,
    pub discount_code_id: Option<String>,
    pub status: RewardStatus,
    pub reward_type: RewardKind,
    pub discount_type: DiscountType,
    #[serde(serialize_with = "money::write_option")]
    pub discount_value: Option<Decimal>,
    #[serde(serialize_with = "money::write_option")]
    pub amount: Option<Decimal>,
    pub currency: String,
    pub variant_id: Option<VariantId>,
    pub points_redeemed: i64,
    pub deduction_mode: DeductionMode,
    pub points_returned: bool,
    #[serde(with = "time::serde::rfc3339::option")]
    pub expire_date: Option<Time>,
    /// The same, under the name Appstle's examples also use.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expiry_date: Option<Time>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_at: Time,
    #[serde(with = "time::serde::rfc3339::option")]
    pub used_at: Option<Time>,
    pub order_id: Option<OrderId>,
    pub order_name: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<Time>,
    /// Why Shopify never issued the reward, in a word.
    pub failure_reason: Option<FailureReason>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<tally_domain::reward::ReviewReason>,
}

/// A reward's discount in Appstle's words: `FIXED` and `PERCENTAGE` are Appstle's; the others name the
/// rewards it gives no discount type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DiscountType {
    Fixed,
    Percentage,
    FreeShipping,
    FreeProduct,
    StoreCredit,
}

impl From<RewardType> for DiscountType {
    fn from(t: RewardType) -> Self {
        match t {
            RewardType::FixedAmount => DiscountType::Fixed,
            RewardType::Percentage => DiscountType::Percentage,
            RewardType::FreeShipping => DiscountType::FreeShipping,
            RewardType::FreeProduct => DiscountType::FreeProduct,
            RewardType::StoreCredit => DiscountType::StoreCredit,
        }
    }
}

/// The answer to a redemption (and a refund): the loyalty information with the reward.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeemedView {
    #[serde(flatten)]
    pub loyalty: LoyaltyView,
    pub reward: RewardView,
}

impl From<Loyalty> for LoyaltyView {
    fn from(loyalty: Loyalty) -> Self {
        let (next, available_points) = (loyalty.next_expiring(), loyalty.available_points());
        let customer = loyalty.customer;
        LoyaltyView {
            customer_id: customer.customer_id,
            email: customer.email.map(|e| e.to_string()),
            available_points,
            pending_points: 0,
            reserved_points: customer.reserved_points,
            credited_points: customer.credited_points,
            spent_points: customer.spent_points,
            spent_amount: Decimal::new(0, 2),
            store_credit_balance: loyalty.store_credit_balance,
            currency: loyalty.currency,
            current_vip_tier: customer.vip_tier.unwrap_or_default(),
            customer_status: customer.status,
            create_at: customer.created_at,
            expiring_points_amount: next.map_or(0, |lot| lot.points),
            points_expire_at: next.and_then(|lot| lot.expires_at),
            rewards: loyalty.rewards.into_iter().map(RewardView::from).collect(),
            rewards_count: loyalty.rewards_count,
        }
    }
}

impl From<Reward> for RewardView {
    fn from(r: Reward) -> Self {
        let usage = r.state.usage().cloned();
        let order = usage.as_ref().and_then(|u| u.order.clone());
        let failed = matches!(r.state, RewardState::Failed { .. });
        RewardView {
            status: r.status(),
            points_returned: r.points_returned(),
            review_reason: r.review_reason(),
            refunded_at: match &r.state {
                RewardState::Refunded(Refund::ByShop { at }) => *at,
                _ => None,
            },
            failure_reason: match &r.state {
                RewardState::Failed { reason } => Some(*reason),
                _ => None,
            },
            used_at: usage.map(|u| u.at),
            order_id: order.as_ref().map(|o| o.id),
            order_name: order.map(|o| o.name),
            id: r.id,
            shop: r.shop.to_string(),
            customer_id: r.customer_id,
            point_redeem_rule_id: r.point_redeem_rule_id,
            description: r.description,
            // A code that failed is no code to use: Shopify may hold it, but Tally never issued it.
            discount_code: if failed { None } else { r.discount_code },
            discount_code_id: r.discount_code_id,
            reward_type: r.reward_type,
            discount_type: DiscountType::from(r.discount_type),
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency,
            variant_id: r.variant_id,
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            expire_date: r.expire_date,
            expiry_date: r.expire_date,
            create_at: r.create_at,
        }
    }
}

impl From<Redeemed> for RedeemedView {
    fn from(redeemed: Redeemed) -> Self {
        RedeemedView { loyalty: redeemed.loyalty.into(), reward: redeemed.reward.into() }
    }
}

/// Everything Tally holds of a customer, for a data request.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerDataView {
    pub customer_id: CustomerId,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub vip_tier: Option<String>,
    pub status: CustomerStatus,
    pub available_points: i64,
    pub reserved_points: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub enrolled_at: Time,
    pub rewards: Vec<RewardView>,
    pub ledger: Vec<LedgerEntryView>,
}

impl From<CustomerData> for CustomerDataView {
    fn from(data: CustomerData) -> Self {
        let c = data.customer;
        CustomerDataView {
            customer_id: c.customer_id,
            email: c.email.map(|v| v.to_string()),
            phone: c.phone.map(|v| v.to_string()),
            external_id: c.external_id.map(|v| v.to_string()),
            vip_tier: c.vip_tier,
            status: c.status,
            available_points: c.available_points,
            reserved_points: c.reserved_points,
            enrolled_at: c.created_at,
            rewards: data.rewards.into_iter().map(RewardView::from).collect(),
            ledger: data.ledger.into_iter().map(LedgerEntryView::from).collect(),
        }
    }
}
