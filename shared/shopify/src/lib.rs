//! The Shopify adapter: the Admin GraphQL client behind the app's Shopify port. One HTTPS client (`tally_http`) for
//! the process, one pinned API version, documents checked against the vendored schema by the tests, and a
//! typed answer per operation (`responses`).

mod inputs;
mod oauth;
mod operations;
mod responses;
mod transport;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde_json::json;
use tally_app::ports::shopify::{
    Call, FetchedToken, FoundDiscount, Metafield, MetafieldRead, MetafieldSet, MetafieldWritten, OrderState,
    ShopifyResult,
};
use tally_app::ports::{Shopify, ShopifyError, ShopifyShop, TokenSource};
use tally_domain::ids::{CustomerId, OrderId, VariantId};
use tally_domain::reward::{DiscountSpec, StoreCreditSpec};
use tally_domain::shop::Shop;

pub use inputs::{discount_input, store_credit_input, DiscountMutation};
pub use operations::DOCUMENTS;
use responses::UserError;

/// The Admin API version every call uses.
pub const API_VERSION: &str = "2026-10";

/// Timeouts for every call, and the total time one operation may spend retrying.
#[derive(Debug, Clone, Copy)]
pub struct ShopifyTimeouts {
    pub request: Duration,
    pub budget: Duration,
}

impl Default for ShopifyTimeouts {
    fn default() -> Self {
        ShopifyTimeouts { request: Duration::from_secs(4), budget: Duration::from_secs(8) }
    }
}

/// The process-wide HTTP side: built once, shared by every shop's client.
#[derive(Debug, Clone)]
pub struct ShopifyHttp {
    /// Built on first use: building it loads the system's TLS roots, a few milliseconds of start-up that the
    /// functions which never call Shopify need not pay.
    http: OnceLock<tally_http::Https>,
    timeouts: ShopifyTimeouts,
}

impl ShopifyHttp {
    pub fn new(timeouts: ShopifyTimeouts) -> ShopifyHttp {
        ShopifyHttp { http: OnceLock::new(), timeouts }
    }

    pub(crate) fn client(&self) -> Result<&tally_http::Https, tally_http::HttpError> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let connect = Duration::from_secs(2).min(self.timeouts.request);
        let client = tally_http::Https::new(connect, concat!("tally/", env!("CARGO_PKG_VERSION")))?;
        Ok(self.http.get_or_init(|| client))
    }
}

impl Shopify for ShopifyHttp {
    type Shop<'a> = ShopifyClient<'a>;

    fn shop<'a>(
        &'a self,
        shop: &'a Shop,
        tokens: Box<dyn TokenSource + 'a>,
        deadline: Option<Instant>,
    ) -> ShopifyClient<'a> {
        let endpoint = format!("{}/admin/api/{API_VERSION}/graphql.json", shop.admin_url.trim_end_matches('/'));
        ShopifyClient { http: self, endpoint, tokens, deadline }
    }

    fn fetch_token(&self, admin_url: &str, client_id: &str, client_secret: &str) -> impl Call<FetchedToken> {
        self.grant(admin_url, client_id, client_secret)
    }
}

/// One shop's Admin API, for one request.
pub struct ShopifyClient<'a> {
    http: &'a ShopifyHttp,
    endpoint: String,
    tokens: Box<dyn TokenSource + 'a>,
    /// When the request must be done with Shopify, whatever its operations' budgets.
    deadline: Option<Instant>,
}

/// Below this much time left, a call is not started: its answer could not arrive.
const LAST_CALL: Duration = Duration::from_millis(100);

impl ShopifyShop for ShopifyClient<'_> {
    fn deadline(&self) -> Instant {
        let budget = Instant::now() + self.http.timeouts.budget;
        self.deadline.map_or(budget, |deadline| deadline.min(budget))
    }

    /// The price of a variant, or `None` when the shop has no such variant.
    async fn variant_price(&self, variant: VariantId) -> ShopifyResult<Option<Decimal>> {
        let data: responses::VariantPrice =
            self.call(operations::VARIANT_PRICE, json!({"id": variant_gid(variant.get())})).await?;
        Ok(data.product_variant.map(|variant| variant.price))
    }

    /// Creates a discount code; `Taken` when the code exists already. Returns the discount's id.
    async fn create_discount(&self, spec: &DiscountSpec) -> ShopifyResult<String> {
        let discount = discount_input(spec);
        let document = match &discount {
            DiscountMutation::Basic(_) => operations::CREATE_BASIC_DISCOUNT,
            DiscountMutation::FreeShipping(_) => operations::CREATE_FREE_SHIPPING_DISCOUNT,
        };
        let data: responses::DiscountCreated = self.call(document, json!({"input": discount.input()})).await?;
        check_user_errors(&data.payload.user_errors)?;
        created(data.payload.code_discount_node)
    }

    /// The discount that has `code`, if any (Shopify matches codes case-insensitively).
    async fn find_discount(&self, code: &str) -> ShopifyResult<Option<FoundDiscount>> {
        let data: responses::DiscountByCode =
            self.call(operations::FIND_DISCOUNT_BY_CODE, json!({"code": code})).await?;
        Ok(data.code_discount_node_by_code.map(|node| FoundDiscount {
            id: node.id,
            // A scheduled discount works once its time comes: it is ended like an active one.
            active: matches!(node.code_discount.status.as_str(), "ACTIVE" | "SCHEDULED"),
            uses: node.code_discount.async_usage_count,
            codes: node.code_discount.codes_count.map_or(1, |c| c.count),
        }))
    }

    /// Every code of every code discount in the shop, with its discount's id, 100 discounts a page.
    async fn list_discount_codes(&self) -> ShopifyResult<Vec<(String, String)>> {
        let mut codes = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let data: responses::DiscountCodes =
                self.call(operations::LIST_DISCOUNT_CODES, json!({"after": after})).await?;
            let page = data.discount_nodes;
            for node in page.nodes {
                for code in node.discount.codes.map(|c| c.nodes).unwrap_or_default() {
                    codes.push((node.id.clone(), code.code));
                }
            }
            if !page.page_info.has_next_page {
                return Ok(codes);
            }
            after = page.page_info.end_cursor;
        }
    }

    /// Ends a discount now; its code stays, unusable. Deactivating one already ended is no error.
    async fn deactivate_discount(&self, id: &str) -> ShopifyResult<()> {
        let data: responses::DiscountDeactivated =
            self.call(operations::DEACTIVATE_DISCOUNT, json!({"id": id})).await?;
        check_user_errors(&data.discount_code_deactivate.user_errors)
    }

    /// What Tally needs of an order: its name, its financial status and the discount codes it used; `None`
    /// when the shop has no such order.
    async fn order(&self, order: OrderId) -> ShopifyResult<Option<OrderState>> {
        let data: responses::OrderFound =
            self.call(operations::ORDER_STATE, json!({"id": format!("gid://shopify/Order/{order}")})).await?;
        Ok(data.order.map(|o| OrderState {
            name: o.name,
            fully_refunded: o.display_financial_status.as_deref() == Some("REFUNDED"),
            codes: o.discount_codes,
        }))
    }

    async fn order_using_code(&self, code: &str) -> ShopifyResult<Option<(OrderId, OrderState)>> {
        // Shopify's search syntax: a value in double quotes is one term, whatever it holds.
        let query = format!("discount_code:\"{}\"", code.replace(['"', '\\'], ""));
        let data: responses::OrdersFound = self.call(operations::ORDER_BY_CODE, json!({"query": query})).await?;
        let found =
            data.orders.nodes.into_iter().find(|o| o.order.discount_codes.iter().any(|c| c.eq_ignore_ascii_case(code)));
        let Some(found) = found else { return Ok(None) };
        let id = found.id.rsplit('/').next().and_then(|id| id.parse().ok()).and_then(OrderId::new);
        let id = id.ok_or_else(|| ShopifyError::Unknown("an order id that does not read".into()))?;
        let o = found.order;
        let fully_refunded = o.display_financial_status.as_deref() == Some("REFUNDED");
        Ok(Some((id, OrderState { name: o.name, fully_refunded, codes: o.discount_codes })))
    }

    /// The shop's webhook subscriptions, as `(topic, uri)`: the topic as GraphQL names it (`ORDERS_CREATE`).
    async fn webhook_subscriptions(&self) -> ShopifyResult<Vec<(String, String)>> {
        let data: responses::Subscriptions = self.call(operations::WEBHOOK_SUBSCRIPTIONS, json!({})).await?;
        Ok(data.webhook_subscriptions.nodes.into_iter().map(|s| (s.topic, s.uri)).collect())
    }

    /// Subscribes `uri` to `topic` (as GraphQL names it).
    async fn subscribe(&self, topic: &str, uri: &str) -> ShopifyResult<()> {
        let variables = json!({"topic": topic, "subscription": {"uri": uri, "format": "JSON"}});
        let data: responses::Subscribed = self.call(operations::SUBSCRIBE_WEBHOOK, variables).await?;
        match data.webhook_subscription_create.user_errors.first() {
            None => Ok(()),
            Some(e) => Err(ShopifyError::Refused(e.message.clone())),
        }
    }

    /// Credits the customer's store credit. Not idempotent: never call twice for one reward.
    async fn credit_store_credit(&self, credit: &StoreCreditSpec) -> ShopifyResult<String> {
        let variables = json!({"id": customer_gid(credit.customer_id.get()), "input": store_credit_input(credit)});
        let data: responses::StoreCreditCredited = self.call_once(operations::CREDIT_STORE_CREDIT, variables).await?;
        let payload = data.store_credit_account_credit;
        check_user_errors(&payload.user_errors)?;
        created(payload.store_credit_account_transaction)
    }
    /// Fires a Flow trigger. Sent once: a lost answer is not sent again here (the events use case decides).
    async fn flow_trigger(&self, handle: &str, payload: &str) -> ShopifyResult<()> {
        let payload: serde_json::Value = serde_json::from_str(payload)
            .map_err(|e| ShopifyError::Refused(format!("a payload that is not JSON: {e}")))?;
        let variables = json!({"handle": handle, "payload": payload});
        let data: responses::FlowTriggered = self.call_once(operations::FLOW_TRIGGER_RECEIVE, variables).await?;
        match data.flow_trigger_receive.and_then(|p| p.user_errors.into_iter().next()) {
            None => Ok(()),
            Some(e) => Err(ShopifyError::Refused(e.message)),
        }
    }

    async fn customer_metafield(
        &self,
        customer: CustomerId,
        namespace: &str,
        key: &str,
    ) -> ShopifyResult<MetafieldRead> {
        let variables = json!({"id": customer_gid(customer.get()), "namespace": namespace, "key": key});
        let data: responses::CustomerMetafield = self.call(operations::CUSTOMER_METAFIELD, variables).await?;
        Ok(match data.customer {
            None => MetafieldRead::NoCustomer,
            Some(owner) => match owner.metafield {
                None => MetafieldRead::Absent,
                Some(m) => MetafieldRead::Found(Metafield { value: m.value, digest: m.compare_digest }),
            },
        })
    }

    /// Sets a JSON metafield if it is as read (`compareDigest`; null: it must not exist yet).
    async fn set_customer_metafield(
        &self,
        customer: CustomerId,
        set: &MetafieldSet<'_>,
    ) -> ShopifyResult<MetafieldWritten> {
        let metafield = json!({"ownerId": customer_gid(customer.get()), "namespace": set.namespace, "key": set.key,
            "type": "json", "value": set.value, "compareDigest": set.read});
        let data: responses::MetafieldsSet =
            self.call(operations::SET_METAFIELDS, json!({"metafields": [metafield]})).await?;
        let errors = data.metafields_set.user_errors;
        if errors.iter().any(|e| e.code.as_deref() == Some("STALE_OBJECT")) {
            return Ok(MetafieldWritten::Stale);
        }
        check_user_errors(&errors)?;
        Ok(MetafieldWritten::Written)
    }
}

fn check_user_errors(errors: &[UserError]) -> Result<(), ShopifyError> {
    if errors.iter().any(|e| e.code.as_deref() == Some("TAKEN")) {
        return Err(ShopifyError::Taken);
    }
    match errors.first() {
        None => Ok(()),
        Some(e) => Err(ShopifyError::Refused(format!("{} ({})", e.message, e.code.as_deref().unwrap_or("no code")))),
    }
}

fn created(node: Option<responses::Node>) -> Result<String, ShopifyError> {
    node.map(|node| node.id).ok_or_else(|| ShopifyError::Unknown("Shopify reported success without an id".into()))
}

pub fn customer_gid(id: u64) -> String {
    format!("gid://shopify/Customer/{id}")
}

pub fn variant_gid(id: u64) -> String {
    format!("gid://shopify/ProductVariant/{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_taken_code_is_reported_as_such() {
        let errors = vec![UserError { code: Some("TAKEN".into()), message: "Code must be unique".into() }];
        assert_eq!(check_user_errors(&errors), Err(ShopifyError::Taken));
    }
}
