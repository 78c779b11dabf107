//! Shopify's answers, one type per operation, read exactly: a field Shopify renamed or left out is a parse
//! error that says which, never a silent `None`.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::Value;

/// The envelope of every GraphQL answer.
#[derive(Debug, Deserialize)]
pub(crate) struct Envelope {
    #[serde(default)]
    pub data: Option<Value>,
    #[serde(default)]
    pub errors: Vec<GraphqlError>,
    #[serde(default)]
    pub extensions: Option<Extensions>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<ErrorExtensions>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ErrorExtensions {
    #[serde(default)]
    pub code: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Extensions {
    #[serde(default)]
    pub cost: Option<Cost>,
}

/// What a query cost and how full the shop's leaky bucket is.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Cost {
    pub requested_query_cost: f64,
    #[serde(default)]
    pub throttle_status: Option<ThrottleStatus>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ThrottleStatus {
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// A mutation's `userErrors` entry.
#[derive(Debug, Deserialize)]
pub(crate) struct UserError {
    #[serde(deserialize_with = "present")]
    pub code: Option<String>,
    pub message: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Node {
    pub id: String,
}

/// `VariantPrice`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VariantPrice {
    #[serde(deserialize_with = "present")]
    pub product_variant: Option<Variant>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Variant {
    pub price: Decimal,
}

/// `CreateBasicDiscount` and `CreateFreeShippingDiscount`: one payload under the mutation's name.
#[derive(Debug, Deserialize)]
pub(crate) struct DiscountCreated {
    #[serde(rename = "discountCodeBasicCreate", alias = "discountCodeFreeShippingCreate")]
    pub payload: DiscountPayload,
}

/// `DeactivateDiscount`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountDeactivated {
    pub discount_code_deactivate: DiscountPayload,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountPayload {
    #[serde(deserialize_with = "present")]
    pub code_discount_node: Option<Node>,
    pub user_errors: Vec<UserError>,
}

/// `FindDiscountByCode`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountByCode {
    #[serde(deserialize_with = "present")]
    pub code_discount_node_by_code: Option<CodeDiscountNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CodeDiscountNode {
    pub id: String,
    pub code_discount: CodeDiscount,
}

/// The discount behind a code (each kind of code discount has these; Tally makes basic and free-shipping
/// ones, and an import may bring any).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CodeDiscount {
    pub status: String,
    pub async_usage_count: u64,
    #[serde(default)]
    pub codes_count: Option<Count>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Count {
    pub count: u64,
}

/// `CreditStoreCredit`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoreCreditCredited {
    pub store_credit_account_credit: CreditPayload,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CreditPayload {
    #[serde(deserialize_with = "present")]
    pub store_credit_account_transaction: Option<Node>,
    pub user_errors: Vec<UserError>,
}

/// `ListDiscountCodes`: one page of the shop's discounts.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountCodes {
    pub discount_nodes: DiscountNodes,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DiscountNodes {
    pub nodes: Vec<DiscountNode>,
    pub page_info: PageInfo,
}

#[derive(Debug, Deserialize)]
pub(crate) struct DiscountNode {
    pub id: String,
    pub discount: Discount,
}

/// A discount of any kind; only code discounts have `codes`.
#[derive(Debug, Deserialize)]
pub(crate) struct Discount {
    #[serde(default)]
    pub codes: Option<Connection<Code>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Connection<T> {
    pub nodes: Vec<T>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Code {
    pub code: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageInfo {
    pub has_next_page: bool,
    #[serde(deserialize_with = "present")]
    pub end_cursor: Option<String>,
}

/// `OrderState`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrderFound {
    #[serde(deserialize_with = "present")]
    pub order: Option<OrderNode>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct OrderNode {
    pub name: String,
    #[serde(deserialize_with = "present")]
    pub display_financial_status: Option<String>,
    pub discount_codes: Vec<String>,
}

/// `OrderByCode`.
#[derive(Debug, Deserialize)]
pub(crate) struct OrdersFound {
    pub orders: Connection<OrderWithId>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct OrderWithId {
    pub id: String,
    #[serde(flatten)]
    pub order: OrderNode,
}

/// `WebhookSubscriptions`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subscriptions {
    pub webhook_subscriptions: Connection<Subscription>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Subscription {
    pub topic: String,
    pub uri: String,
}

/// `SubscribeWebhook`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subscribed {
    pub webhook_subscription_create: SubscribePayload,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscribePayload {
    pub user_errors: Vec<PlainUserError>,
}

/// A `userErrors` entry of the mutations whose errors carry no code.
#[derive(Debug, Deserialize)]
pub(crate) struct PlainUserError {
    pub message: String,
}

/// A field that must be in the answer, though its value may be null: serde would otherwise read a missing
/// `Option` as `None`, and a renamed field would pass for "not found".
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    Option::<T>::deserialize(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_renamed_field_is_an_error_that_names_it_not_a_missing_variant() {
        let found: VariantPrice = serde_json::from_value(
            json!({"productVariant": {"id": "gid://shopify/ProductVariant/1", "price": "19.99"}}),
        )
        .unwrap();
        assert_eq!(found.product_variant.unwrap().price, Decimal::new(1999, 2));
        let absent: VariantPrice = serde_json::from_value(json!({"productVariant": null})).unwrap();
        assert!(absent.product_variant.is_none(), "no such variant");
        let renamed = serde_json::from_value::<VariantPrice>(json!({"productVariant": {"amount": "19.99"}}));
        assert!(renamed.unwrap_err().to_string().contains("missing field `price`"));
        let missing = serde_json::from_value::<VariantPrice>(json!({"variant": null}));
        assert!(missing.unwrap_err().to_string().contains("missing field `productVariant`"));
    }

    #[test]
    fn both_discount_mutations_read_as_one_payload() {
        let shipping: DiscountCreated = serde_json::from_value(json!({"discountCodeFreeShippingCreate":
            {"codeDiscountNode": {"id": "gid://shopify/DiscountCodeNode/2"}, "userErrors": []}}))
        .unwrap();
        assert_eq!(shipping.payload.code_discount_node.unwrap().id, "gid://shopify/DiscountCodeNode/2");
    }
}

/// `FlowTriggerReceive`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FlowTriggered {
    pub flow_trigger_receive: Option<FlowPayload>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FlowPayload {
    pub user_errors: Vec<Message>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Message {
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserErrorsOnly {
    pub user_errors: Vec<UserError>,
}

/// `CustomerMetafield`.
#[derive(Debug, Deserialize)]
pub(crate) struct CustomerMetafield {
    pub customer: Option<MetafieldOwner>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct MetafieldOwner {
    pub metafield: Option<StoredMetafield>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct StoredMetafield {
    pub value: String,
    pub compare_digest: String,
}

/// `SetMetafields`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct MetafieldsSet {
    pub metafields_set: UserErrorsOnly,
}
