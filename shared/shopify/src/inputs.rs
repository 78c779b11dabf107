//! The inputs of the discount and store credit mutations, as GraphQL takes them, from what the domain
//! says Shopify must issue.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use tally_domain::reward::{DiscountSpec, DiscountValue, StoreCreditSpec};
use tally_domain::rfc3339;

use crate::{customer_gid, variant_gid};

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

/// The discount: one code, for this customer only, usable once, ending with the reward.
pub fn discount_input(spec: &DiscountSpec) -> DiscountMutation {
    let mut input = Map::new();
    input.insert("title".into(), json!(spec.title));
    input.insert("code".into(), json!(spec.code));
    input.insert("startsAt".into(), json!(rfc3339(spec.starts_at)));
    if let Some(ends) = spec.ends_at {
        input.insert("endsAt".into(), json!(rfc3339(ends)));
    }
    input.insert("usageLimit".into(), json!(1));
    input.insert("appliesOncePerCustomer".into(), json!(true));
    input.insert("context".into(), json!({"customers": {"add": [customer_gid(spec.customer_id.get())]}}));
    if let Some(minimum) = spec.minimum_subtotal {
        input.insert(
            "minimumRequirement".into(),
            json!({"subtotal": {"greaterThanOrEqualToSubtotal": minimum.to_string()}}),
        );
    }
    let combines = spec.combines_with;
    input.insert(
        "combinesWith".into(),
        json!({"orderDiscounts": combines.order_discounts, "productDiscounts": combines.product_discounts,
               "shippingDiscounts": combines.shipping_discounts}),
    );
    let amount_off =
        |amount: Decimal| json!({"discountAmount": {"amount": amount.to_string(), "appliesOnEachItem": false}});
    let gets = match &spec.value {
        DiscountValue::FreeShipping => {
            input.insert("destination".into(), json!({"all": true}));
            return DiscountMutation::FreeShipping(Value::Object(input));
        }
        DiscountValue::AmountOff(amount) => json!({"value": amount_off(*amount), "items": {"all": true}}),
        // GraphQL's Float: a fraction of at most four places, which a double holds exactly enough.
        DiscountValue::Percentage(fraction) => {
            json!({"value": {"percentage": fraction.to_f64().unwrap_or(0.0)}, "items": {"all": true}})
        }
        DiscountValue::Product { variant_id, amount } => json!({
            "value": amount_off(*amount),
            "items": {"products": {"productVariantsToAdd": [variant_gid(variant_id.get())]}}
        }),
    };
    input.insert("customerGets".into(), gets);
    DiscountMutation::Basic(Value::Object(input))
}

/// The `creditInput` of `storeCreditAccountCredit`: the amount, ending with the reward.
pub fn store_credit_input(credit: &StoreCreditSpec) -> Value {
    let mut input = json!({"creditAmount": {"amount": credit.amount.to_string(), "currencyCode": credit.currency}});
    if let Some(expires) = credit.expires_at {
        input["expiresAt"] = json!(rfc3339(expires));
    }
    input
}
