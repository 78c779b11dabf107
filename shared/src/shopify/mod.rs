//! The Shopify adapter: the Admin GraphQL client. One `reqwest::Client` for the process, one pinned API
//! version, documents checked against the vendored schema by the tests, and a typed answer per operation
//! (`responses`). It depends on the domain only.

mod inputs;
mod oauth;
mod operations;
mod responses;
mod transport;

use std::future::Future;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::json;

pub use inputs::{discount_input, store_credit_input, DiscountMutation, StoreCreditInput};
pub use oauth::FetchedToken;
pub use operations::DOCUMENTS;
use responses::UserError;

use crate::domain::shop::Shop;

/// The Admin API version every call uses.
pub const API_VERSION: &str = "2026-10";

/// How a call to Shopify ended, when it did not succeed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShopifyError {
    /// Shopify answered and refused: the request must not be repeated as it is.
    #[error("Shopify refused: {0}")]
    Refused(String),
    /// Shopify did not act on the request (throttled, unavailable, unreachable), even after retrying.
    #[error("Shopify unavailable: {0}")]
    Unavailable(String),
    /// The request was sent but no answer came back, or none that could be read: it may or may not have
    /// taken effect.
    #[error("Shopify's answer was lost: {0}")]
    Unknown(String),
    /// The discount code is in use in the shop already.
    #[error("the code is taken")]
    Taken,
}

/// An order as far as Tally asks about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub name: String,
    /// Refunded in full (`displayFinancialStatus` `REFUNDED`); a partial refund is not.
    pub fully_refunded: bool,
    pub codes: Vec<String>,
}

/// A discount as Shopify holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDiscount {
    pub id: String,
    /// Usable now: not deactivated, not ended, not yet to start.
    pub active: bool,
    /// How many orders used it, as Shopify counts them: asynchronously, so a very recent order may not be
    /// counted yet.
    pub uses: u64,
}

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
    http: OnceLock<reqwest::Client>,
    timeouts: ShopifyTimeouts,
}

impl ShopifyHttp {
    pub fn new(timeouts: ShopifyTimeouts) -> ShopifyHttp {
        ShopifyHttp { http: OnceLock::new(), timeouts }
    }

    pub(crate) fn client(&self) -> Result<&reqwest::Client, reqwest::Error> {
        if let Some(client) = self.http.get() {
            return Ok(client);
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(2).min(self.timeouts.request))
            .timeout(self.timeouts.request)
            .user_agent(concat!("tally/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(self.http.get_or_init(|| client))
    }

    /// The shop's Admin API, calling with the tokens `tokens` gives.
    pub fn for_shop<'a>(&'a self, shop: &Shop, tokens: Box<dyn TokenSource + 'a>) -> ShopifyClient<'a> {
        let endpoint = format!("{}/admin/api/{API_VERSION}/graphql.json", shop.admin_url.trim_end_matches('/'));
        ShopifyClient { http: self, endpoint, tokens, deadline: None }
    }
}

/// What a token source gives: a future, boxed so that the trait can be used as an object.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = Result<String, ShopifyError>> + Send + 'a>>;

/// Where a shop's Admin API tokens come from: a static token, or the client credentials grant with the
/// token shared between Lambdas (the use cases provide it; this client only asks).
pub trait TokenSource: Send + Sync {
    /// A token to call with.
    fn token(&self) -> TokenFuture<'_>;
    /// Another token, after Shopify refused `rejected` (it expired, or was revoked).
    fn renew<'a>(&'a self, rejected: &'a str) -> TokenFuture<'a>;
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

impl ShopifyClient<'_> {
    /// The client for a request that must be done with Shopify by `deadline`: every call shares it.
    pub fn until(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// When an operation started now must end: its budget, or the request's deadline if that comes first.
    pub fn deadline(&self) -> Instant {
        let budget = Instant::now() + self.http.timeouts.budget;
        self.deadline.map_or(budget, |deadline| deadline.min(budget))
    }

    /// The price of a variant, or `None` when the shop has no such variant.
    pub async fn variant_price(&self, variant_id: u64) -> Result<Option<rust_decimal::Decimal>, ShopifyError> {
        let data: responses::VariantPrice =
            self.call(operations::VARIANT_PRICE, json!({"id": variant_gid(variant_id)})).await?;
        Ok(data.product_variant.map(|variant| variant.price))
    }

    /// Creates a discount code; `Taken` when the code exists already. Returns the discount's id.
    pub async fn create_discount(&self, discount: &DiscountMutation) -> Result<String, ShopifyError> {
        let document = match discount {
            DiscountMutation::Basic(_) => operations::CREATE_BASIC_DISCOUNT,
            DiscountMutation::FreeShipping(_) => operations::CREATE_FREE_SHIPPING_DISCOUNT,
        };
        let data: responses::DiscountCreated = self.call(document, json!({"input": discount.input()})).await?;
        check_user_errors(&data.payload.user_errors)?;
        created(data.payload.code_discount_node)
    }

    /// The discount that has `code`, if any (Shopify matches codes case-insensitively).
    pub async fn find_discount(&self, code: &str) -> Result<Option<FoundDiscount>, ShopifyError> {
        let data: responses::DiscountByCode =
            self.call(operations::FIND_DISCOUNT_BY_CODE, json!({"code": code})).await?;
        Ok(data.code_discount_node_by_code.map(|node| FoundDiscount {
            id: node.id,
            active: node.code_discount.status == "ACTIVE",
            uses: node.code_discount.async_usage_count,
        }))
    }

    /// Every code of every code discount in the shop, with its discount's id, 100 discounts a page.
    pub async fn list_discount_codes(&self) -> Result<Vec<(String, String)>, ShopifyError> {
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
    pub async fn deactivate_discount(&self, id: &str) -> Result<(), ShopifyError> {
        let data: responses::DiscountDeactivated =
            self.call(operations::DEACTIVATE_DISCOUNT, json!({"id": id})).await?;
        check_user_errors(&data.discount_code_deactivate.user_errors)
    }

    /// What Tally needs of an order: its name, its financial status and the discount codes it used; `None`
    /// when the shop has no such order.
    pub async fn order(&self, order_id: u64) -> Result<Option<OrderState>, ShopifyError> {
        let data: responses::OrderFound =
            self.call(operations::ORDER_STATE, json!({"id": format!("gid://shopify/Order/{order_id}")})).await?;
        Ok(data.order.map(|o| OrderState {
            name: o.name,
            fully_refunded: o.display_financial_status.as_deref() == Some("REFUNDED"),
            codes: o.discount_codes,
        }))
    }

    /// The shop's webhook subscriptions, as `(topic, uri)`: the topic as GraphQL names it (`ORDERS_CREATE`).
    pub async fn webhook_subscriptions(&self) -> Result<Vec<(String, String)>, ShopifyError> {
        let data: responses::Subscriptions = self.call(operations::WEBHOOK_SUBSCRIPTIONS, json!({})).await?;
        Ok(data.webhook_subscriptions.nodes.into_iter().map(|s| (s.topic, s.uri)).collect())
    }

    /// Subscribes `uri` to `topic` (as GraphQL names it).
    pub async fn subscribe(&self, topic: &str, uri: &str) -> Result<(), ShopifyError> {
        let variables = json!({"topic": topic, "subscription": {"uri": uri, "format": "JSON"}});
        let data: responses::Subscribed = self.call(operations::SUBSCRIBE_WEBHOOK, variables).await?;
        match data.webhook_subscription_create.user_errors.first() {
            None => Ok(()),
            Some(e) => Err(ShopifyError::Refused(e.message.clone())),
        }
    }

    /// Credits the customer's store credit. Not idempotent: never call twice for one reward.
    pub async fn credit_store_credit(
        &self,
        customer_id: u64,
        input: &StoreCreditInput,
    ) -> Result<String, ShopifyError> {
        let variables = json!({"id": customer_gid(customer_id), "input": input});
        let data: responses::StoreCreditCredited = self.call(operations::CREDIT_STORE_CREDIT, variables).await?;
        let payload = data.store_credit_account_credit;
        check_user_errors(&payload.user_errors)?;
        created(payload.store_credit_account_transaction)
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

/// Times as Shopify takes them: RFC 3339.
use crate::domain::rfc3339;

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
