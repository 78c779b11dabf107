//! What clients read: the API's JSON bodies (camelCase, Appstle's field names), built from domain types.
//! Stored records are not these; a rename here changes the API and nothing else.

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

use tally_app::orders::OrderOutcome;
use tally_app::privacy::CustomerData;
use tally_app::redeem::Redeemed;
use tally_app::webhooks::{Enrolling, Handled, Ignored};
use tally_domain::customer::CustomerStatus;
use tally_domain::error::Refused;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId, VariantId};
use tally_domain::ledger::{ActivityPage, LedgerEntry, LedgerKind};
use tally_domain::loyalty::{Loyalty, RewardPage};
use tally_domain::redemption::RedeemOption;
use tally_domain::reward::{DeductionMode, FailureReason, Refund, Reward, RewardKind, RewardState, RewardStatus};
use tally_domain::rule::{RedeemRule, RewardType, RuleStatus};
use tally_domain::Time;

use crate::{cursor, money};

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
    pub current_vip_tier: Option<String>,
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
    pub discount_type: RewardType,
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

/// The answer to a redemption (and a refund): the loyalty information with the reward.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedeemedView {
    #[serde(flatten)]
    pub loyalty: LoyaltyView,
    pub reward: RewardView,
}

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
            current_vip_tier: customer.vip_tier,
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
            discount_code: r.discount_code,
            discount_code_id: r.discount_code_id,
            reward_type: r.reward_type,
            discount_type: r.discount_type,
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency,
            variant_id: r.variant_id,
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            expire_date: r.expire_date,
            create_at: r.create_at,
        }
    }
}

impl From<Redeemed> for RedeemedView {
    fn from(redeemed: Redeemed) -> Self {
        RedeemedView { loyalty: redeemed.loyalty.into(), reward: redeemed.reward.into() }
    }
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

/// One change of a balance, as an export or the activity log shows it: what kind, by how many available
/// points (signed), the balance after, why, the reward and the order it concerns, and when.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryView {
    pub kind: LedgerKind,
    pub points: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reward_id: Option<RewardId>,
    pub order_id: Option<OrderId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> Self {
        LedgerEntryView {
            kind: e.kind,
            points: e.delta,
            balance_after: e.balance_after,
            reason: e.reason,
            reward_id: e.reward_id,
            order_id: e.order_id,
            created_at: e.at,
        }
    }
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

/// A page of a customer's rewards.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardPageView {
    pub customer_id: CustomerId,
    pub rewards: Vec<RewardView>,
    /// The cursor of the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl RewardPageView {
    pub fn new(page: RewardPage, shop: &str) -> Self {
        let next_cursor = page.next.map(|next| {
            cursor::encode(
                shop,
                page.customer_id,
                cursor::REWARDS,
                &[next.create_at.unix_timestamp(), next.id.get() as i64],
            )
        });
        let rewards = page.rewards.into_iter().map(RewardView::from).collect();
        RewardPageView { customer_id: page.customer_id, rewards, next_cursor }
    }
}

/// `GET /api/external/customer-activity`: a page of the customer's points activity, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    pub customer_id: CustomerId,
    pub entries: Vec<LedgerEntryView>,
    /// The cursor of the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl ActivityView {
    pub fn new(page: ActivityPage, shop: &str) -> Self {
        let next_cursor = page.next.map(|seq| cursor::encode(shop, page.customer_id, cursor::ACTIVITY, &[seq as i64]));
        let entries = page.entries.into_iter().map(LedgerEntryView::from).collect();
        ActivityView { customer_id: page.customer_id, entries, next_cursor }
    }
}

/// What a webhook delivery did, as Shopify (and whoever reads the logs) is told.
pub fn handled(handled: &Handled) -> serde_json::Value {
    let order = |o: &OrderOutcome| json!({"order": o.order_id, "rewardsUsed": o.rewards_used, "rewardsRefunded": o.rewards_refunded});
    match handled {
        Handled::Duplicate => json!({"duplicate": true}),
        Handled::OrderCreated(outcome) => order(outcome),
        Handled::OrderCancelled(o) => json!({"order": o.order_id, "rewardsRefunded": o.rewards_refunded}),
        Handled::CustomerCreated(Enrolling::Enrolled) => json!({"enrolled": true}),
        Handled::CustomerCreated(Enrolling::AlreadyEnrolled) => json!({"enrolled": true, "already": true}),
        Handled::CustomerCreated(Enrolling::Off) => json!({"enrolled": false, "reason": "autoEnroll is off"}),
        Handled::CustomerCreated(Enrolling::Refused(reason)) => {
            json!({"enrolled": false, "reason": reason.to_string()})
        }
        Handled::CustomerCreated(Enrolling::NotEnrolled) => json!({"enrolled": false}),
        Handled::RefundCreated(Some(o)) => json!({"order": o.order_id, "rewardsRefunded": o.rewards_refunded}),
        Handled::RefundCreated(None) => json!({"rewardsRefunded": 0, "reason": "not a full refund"}),
        Handled::Uninstalled => json!({"uninstalled": true}),
        Handled::DataRequest { held } => json!({"dataHeld": held}),
        Handled::CustomerRedacted { found } => json!({"redacted": found}),
        Handled::ShopRedacted => json!({"shopRedacted": true}),
        Handled::Ignored(Ignored::Topic(topic)) => json!({"ignored": topic}),
        Handled::Ignored(Ignored::StaleUninstall) => json!({"ignored": "app/uninstalled from before the last connect"}),
        Handled::Ignored(Ignored::ShopInstalled) => json!({"ignored": "shop/redact while the app is installed"}),
    }
}
