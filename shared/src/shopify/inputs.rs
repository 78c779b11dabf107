//! The inputs of the discount and store credit mutations, built from a reward and its rule.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{customer_gid, rfc3339, variant_gid};
use crate::domain::reward::Reward;
use crate::domain::rule::{RedeemRule, RewardType};
use crate::domain::Time;

/// A discount to create, with the mutation it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscountMutation {
    Basic(Value),
    FreeShipping(Value),
}

impl DiscountMutation {
    pub fn input(&self) -> &Value {
        match self {
            DiscountMutation::Basic(input) | DiscountMutation::FreeShipping(input) => input,
        }
    }
}

/// The discount for a reward: one code, for this customer only, usable once, ending with the reward.
/// `None` for store credit, which is no discount.
pub fn discount_input(reward: &Reward, rule: &RedeemRule) -> Option<DiscountMutation> {
    let code = reward.discount_code.as_deref()?;
    let mut input = Map::new();
    input.insert("title".into(), json!(format!("{} ({})", rule.name, code)));
    input.insert("code".into(), json!(code));
    input.insert("startsAt".into(), json!(rfc3339(reward.create_at)));
    if let Some(ends) = reward.expire_date {
        input.insert("endsAt".into(), json!(rfc3339(ends)));
    }
    input.insert("usageLimit".into(), json!(1));
    input.insert("appliesOncePerCustomer".into(), json!(true));
    input.insert("context".into(), json!({"customers": {"add": [customer_gid(reward.customer_id)]}}));
    if let Some(minimum) = rule.minimum_subtotal {
        input.insert(
            "minimumRequirement".into(),
            json!({"subtotal": {"greaterThanOrEqualToSubtotal": minimum.to_string()}}),
        );
    }
    let combines = rule.combines_with;
    input.insert(
        "combinesWith".into(),
        json!({"orderDiscounts": combines.order_discounts, "productDiscounts": combines.product_discounts,
               "shippingDiscounts": combines.shipping_discounts}),
    );
    let amount_off =
        |amount: Decimal| json!({"discountAmount": {"amount": amount.to_string(), "appliesOnEachItem": false}});
    let gets = match rule.reward_type {
        RewardType::FreeShipping => {
            input.insert("destination".into(), json!({"all": true}));
            return Some(DiscountMutation::FreeShipping(Value::Object(input)));
        }
        RewardType::StoreCredit => return None,
        RewardType::FixedAmount => {
            json!({"value": amount_off(reward.amount?), "items": {"all": true}})
        }
        RewardType::Percentage => {
            let fraction = (rule.discount_value? / Decimal::ONE_HUNDRED).to_f64()?;
            json!({"value": {"percentage": fraction}, "items": {"all": true}})
        }
        // One unit of the variant: a 100% discount would free every unit of it in the cart.
        RewardType::FreeProduct => json!({
            "value": amount_off(reward.amount?),
            "items": {"products": {"productVariantsToAdd": [variant_gid(reward.variant_id?)]}}
        }),
    };
    input.insert("customerGets".into(), gets);
    Some(DiscountMutation::Basic(Value::Object(input)))
}

/// The `creditInput` of `storeCreditAccountCredit`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoreCreditInput {
    credit_amount: Money,
    #[serde(skip_serializing_if = "Option::is_none", with = "time::serde::rfc3339::option")]
    expires_at: Option<Time>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
struct Money {
    amount: Decimal,
    currency_code: String,
}

/// The credit for a store credit reward: its amount, ending with the reward.
pub fn store_credit_input(reward: &Reward) -> Option<StoreCreditInput> {
    let credit_amount = Money { amount: reward.amount?, currency_code: reward.currency.clone() };
    Some(StoreCreditInput { credit_amount, expires_at: reward.expire_date })
}
