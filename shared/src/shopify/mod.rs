//! The Shopify adapter: the Admin GraphQL client. One `reqwest::Client` for the process, one pinned API
//! version, documents checked against the vendored schema by the tests, and a typed answer per operation
//! (`responses`). It depends on the domain only.

mod inputs;
mod operations;
mod responses;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

pub use inputs::{discount_input, store_credit_input, DiscountMutation, StoreCreditInput};
pub use operations::DOCUMENTS;
use responses::{Envelope, UserError};

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

    fn client(&self) -> Result<&reqwest::Client, reqwest::Error> {
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

    pub fn for_shop<'a>(&'a self, shop: &'a Shop) -> ShopifyClient<'a> {
        let endpoint = format!("{}/admin/api/{API_VERSION}/graphql.json", shop.admin_url.trim_end_matches('/'));
        ShopifyClient { http: self, endpoint, token: &shop.access_token, deadline: None }
    }
}

/// One shop's Admin API, for one request.
pub struct ShopifyClient<'a> {
    http: &'a ShopifyHttp,
    endpoint: String,
    token: &'a str,
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

    /// Sends one operation, retrying what Shopify did not act on (429, 503, THROTTLED) with the waits it
    /// asks for, inside the time budget. Returns the answer's `data`, read as `T`.
    async fn call<T: DeserializeOwned>(&self, document: &str, variables: Value) -> Result<T, ShopifyError> {
        let deadline = self.deadline();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < LAST_CALL {
                return Err(ShopifyError::Unavailable("no time was left to ask Shopify".into()));
            }
            let (retry_after, error) = match self.send_once(document, &variables, left).await {
                Attempt::Done(data) => return read_data(document, data),
                Attempt::Failed(error) => return Err(error),
                Attempt::Retry { after, reason } => (after, ShopifyError::Unavailable(reason)),
            };
            let wait = retry_after.min(Duration::from_secs(5));
            if Instant::now() + wait + self.http.timeouts.request > deadline {
                return Err(error);
            }
            tracing::info!(wait_ms = wait.as_millis() as u64, %error, "retrying Shopify");
            tokio::time::sleep(wait).await;
        }
    }

    /// One call, given at most `left` (and never more than the configured timeout of one call).
    async fn send_once(&self, document: &str, variables: &Value, left: Duration) -> Attempt {
        let client = match self.http.client() {
            Ok(client) => client,
            Err(e) => return Attempt::Failed(ShopifyError::Unavailable(format!("no HTTP client: {e}"))),
        };
        let response = client
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", self.token)
            .timeout(left.min(self.http.timeouts.request))
            .json(&json!({"query": document, "variables": variables}))
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(e) if e.is_connect() => {
                return Attempt::Retry { after: Duration::from_millis(200), reason: e.to_string() }
            }
            Err(e) => return Attempt::Failed(ShopifyError::Unknown(without_url(e))),
        };
        let status = response.status().as_u16();
        let retry_after = header_seconds(&response).unwrap_or(Duration::from_secs(1));
        let body: Envelope = match response.json().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() => return Attempt::Failed(ShopifyError::Unknown(without_url(e))),
            Err(_) if status == 429 || status == 503 => {
                return Attempt::Retry { after: retry_after, reason: format!("HTTP {status}") }
            }
            // A success Tally cannot read may have done what it was asked: its outcome is unknown.
            Err(_) if status >= 500 || (200..300).contains(&status) => {
                return Attempt::Failed(ShopifyError::Unknown(format!("HTTP {status} with an unreadable answer")))
            }
            Err(_) => return Attempt::Failed(ShopifyError::Refused(format!("HTTP {status}"))),
        };
        classify(status, retry_after, body)
    }
}

enum Attempt {
    Done(Value),
    Failed(ShopifyError),
    Retry { after: Duration, reason: String },
}

/// What an answer means: data, a refusal, or a wait before trying again.
fn classify(status: u16, retry_after: Duration, body: Envelope) -> Attempt {
    if status == 429 || status == 503 {
        return Attempt::Retry { after: retry_after, reason: format!("HTTP {status}") };
    }
    if status >= 500 {
        return Attempt::Failed(ShopifyError::Unknown(format!("HTTP {status}")));
    }
    if status >= 400 {
        return Attempt::Failed(ShopifyError::Refused(format!("HTTP {status}: {}", first_error(&body))));
    }
    let has_code =
        |code: &str| body.errors.iter().any(|e| e.extensions.as_ref().and_then(|x| x.code.as_deref()) == Some(code));
    if has_code("THROTTLED") {
        return Attempt::Retry { after: throttle_wait(&body), reason: "THROTTLED".into() };
    }
    if has_code("INTERNAL_SERVER_ERROR") {
        return Attempt::Failed(ShopifyError::Unknown(first_error(&body)));
    }
    if !body.errors.is_empty() {
        return Attempt::Failed(ShopifyError::Refused(first_error(&body)));
    }
    match body.data {
        Some(data) if data.is_object() => Attempt::Done(data),
        _ => Attempt::Failed(ShopifyError::Unknown("an answer without data".into())),
    }
}

/// The answer's data as the operation's type. An answer of another shape is logged with what is wrong, and
/// its outcome is unknown: a mutation may have happened.
fn read_data<T: DeserializeOwned>(document: &str, data: Value) -> Result<T, ShopifyError> {
    serde_json::from_value(data).map_err(|e| {
        let operation = document.split(['(', '{']).next().unwrap_or(document).trim();
        tracing::error!(operation, error = %e, "Shopify's answer does not have the expected shape");
        ShopifyError::Unknown(format!("an answer of an unexpected shape ({e})"))
    })
}

/// The wait Shopify's leaky bucket asks for: (requested - available) / restore rate, in seconds.
fn throttle_wait(body: &Envelope) -> Duration {
    let cost = body.extensions.as_ref().and_then(|x| x.cost.as_ref());
    let requested = cost.map_or(10.0, |c| c.requested_query_cost);
    let status = cost.and_then(|c| c.throttle_status.as_ref());
    let available = status.map_or(0.0, |s| s.currently_available);
    let rate = status.map(|s| s.restore_rate).filter(|r| *r > 0.0).unwrap_or(50.0);
    Duration::from_secs_f64(((requested - available) / rate).clamp(0.05, 5.0))
}

fn header_seconds(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

fn first_error(body: &Envelope) -> String {
    body.errors.first().map_or_else(|| "no message".to_string(), |e| e.message.clone())
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

/// reqwest's messages include the URL; the shop's endpoint is not secret, but keep logs short.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() { "timed out" } else { "connection failed" };
    format!("{kind}: {}", e.without_url())
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

    fn envelope(body: Value) -> Envelope {
        serde_json::from_value(body).unwrap()
    }

    fn kind(attempt: Attempt) -> &'static str {
        match attempt {
            Attempt::Done(_) => "done",
            Attempt::Failed(ShopifyError::Refused(_)) => "refused",
            Attempt::Failed(ShopifyError::Unknown(_)) => "unknown",
            Attempt::Failed(_) => "other",
            Attempt::Retry { .. } => "retry",
        }
    }

    #[test]
    fn answers_are_told_apart_as_shopify_means_them() {
        let second = Duration::from_secs(1);
        assert_eq!(kind(classify(200, second, envelope(json!({"data": {"x": 1}})))), "done");
        assert_eq!(kind(classify(429, second, envelope(json!({})))), "retry");
        assert_eq!(kind(classify(503, second, envelope(json!({})))), "retry");
        assert_eq!(kind(classify(502, second, envelope(json!({})))), "unknown");
        assert_eq!(kind(classify(401, second, envelope(json!({"errors": [{"message": "bad token"}]})))), "refused");
        let throttled = json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        assert_eq!(kind(classify(200, second, envelope(throttled))), "retry");
        let unknown_field = json!({"errors": [{"message": "Field 'x' doesn't exist"}]});
        assert_eq!(kind(classify(200, second, envelope(unknown_field))), "refused");
    }

    #[test]
    fn a_throttled_call_waits_as_long_as_the_bucket_needs() {
        let body = envelope(json!({"extensions": {"cost": {"requestedQueryCost": 110,
            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 10, "restoreRate": 100}}}}));
        assert_eq!(throttle_wait(&body), Duration::from_secs(1));
    }

    #[test]
    fn a_taken_code_is_reported_as_such() {
        let errors = vec![UserError { code: Some("TAKEN".into()), message: "Code must be unique".into() }];
        assert_eq!(check_user_errors(&errors), Err(ShopifyError::Taken));
    }

    #[test]
    fn an_answer_of_another_shape_is_an_unknown_outcome() {
        let read = read_data::<responses::DiscountByCode>("query FindDiscountByCode($code: String!)", json!({"x": 1}));
        assert!(matches!(read, Err(ShopifyError::Unknown(reason)) if reason.contains("codeDiscountNodeByCode")));
    }
}
