//! The Shopify Admin GraphQL client: one `reqwest::Client` for the process, one pinned API version,
//! typed operations whose documents are checked against the vendored schema by the tests.

mod inputs;
mod operations;

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub use inputs::{discount_input, store_credit_input, DiscountMutation};
pub use operations::DOCUMENTS;

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
    /// The request was sent but no answer came back: it may or may not have taken effect.
    #[error("Shopify's answer was lost: {0}")]
    Unknown(String),
    /// The discount code is in use in the shop already.
    #[error("the code is taken")]
    Taken,
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
        ShopifyClient { http: self, endpoint, token: &shop.access_token }
    }
}

/// One shop's Admin API.
pub struct ShopifyClient<'a> {
    http: &'a ShopifyHttp,
    endpoint: String,
    token: &'a str,
}

impl ShopifyClient<'_> {
    /// How long one operation may spend on Shopify, retries included.
    pub fn budget(&self) -> Duration {
        self.http.timeouts.budget
    }

    /// The price of a variant, or `None` when the shop has no such variant.
    pub async fn variant_price(&self, variant_id: u64) -> Result<Option<String>, ShopifyError> {
        let data = self.call(operations::VARIANT_PRICE, json!({"id": variant_gid(variant_id)})).await?;
        Ok(data.pointer("/productVariant/price").and_then(Value::as_str).map(str::to_string))
    }

    /// Creates a discount code; `Taken` when the code exists already.
    pub async fn create_discount(&self, discount: &DiscountMutation) -> Result<String, ShopifyError> {
        let (document, root) = match discount {
            DiscountMutation::Basic(_) => (operations::CREATE_BASIC_DISCOUNT, "discountCodeBasicCreate"),
            DiscountMutation::FreeShipping(_) => {
                (operations::CREATE_FREE_SHIPPING_DISCOUNT, "discountCodeFreeShippingCreate")
            }
        };
        let data = self.call(document, json!({"input": discount.input()})).await?;
        let payload = &data[root];
        check_user_errors(payload)?;
        created_id(payload.pointer("/codeDiscountNode/id"))
    }

    /// The id of the discount that has `code`, if any (Shopify matches codes case-insensitively).
    pub async fn find_discount(&self, code: &str) -> Result<Option<String>, ShopifyError> {
        let data = self.call(operations::FIND_DISCOUNT_BY_CODE, json!({"code": code})).await?;
        Ok(data.pointer("/codeDiscountNodeByCode/id").and_then(Value::as_str).map(str::to_string))
    }

    /// Every code of every code discount in the shop, with its discount's id, 100 discounts a page.
    pub async fn list_discount_codes(&self) -> Result<Vec<(String, String)>, ShopifyError> {
        let mut codes = Vec::new();
        let mut after = Value::Null;
        loop {
            let data = self.call(operations::LIST_DISCOUNT_CODES, json!({"after": after})).await?;
            let page = &data["discountNodes"];
            for node in page["nodes"].as_array().map(Vec::as_slice).unwrap_or_default() {
                let id = node["id"].as_str().unwrap_or_default();
                let found = node.pointer("/discount/codes/nodes").and_then(Value::as_array);
                for code in found.into_iter().flatten().filter_map(|c| c["code"].as_str()) {
                    codes.push((id.to_string(), code.to_string()));
                }
            }
            if page.pointer("/pageInfo/hasNextPage") != Some(&json!(true)) {
                return Ok(codes);
            }
            after = page.pointer("/pageInfo/endCursor").cloned().unwrap_or(Value::Null);
        }
    }

    /// Ends a discount now; its code stays, unusable. Deactivating one already ended is no error.
    pub async fn deactivate_discount(&self, id: &str) -> Result<(), ShopifyError> {
        let data = self.call(operations::DEACTIVATE_DISCOUNT, json!({"id": id})).await?;
        check_user_errors(&data["discountCodeDeactivate"])
    }

    /// Credits the customer's store credit. Not idempotent: never call twice for one reward.
    pub async fn credit_store_credit(&self, customer_id: u64, input: Value) -> Result<String, ShopifyError> {
        let variables = json!({"id": customer_gid(customer_id), "input": input});
        let data = self.call(operations::CREDIT_STORE_CREDIT, variables).await?;
        let payload = &data["storeCreditAccountCredit"];
        check_user_errors(payload)?;
        created_id(payload.pointer("/storeCreditAccountTransaction/id"))
    }

    /// Sends one operation, retrying what Shopify did not act on (429, 503, THROTTLED) with the waits it
    /// asks for, inside the time budget. Returns the `data` of the answer.
    async fn call(&self, document: &str, variables: Value) -> Result<Value, ShopifyError> {
        let deadline = Instant::now() + self.http.timeouts.budget;
        loop {
            let (retry_after, error) = match self.send_once(document, &variables).await {
                Attempt::Done(data) => return Ok(data),
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

    async fn send_once(&self, document: &str, variables: &Value) -> Attempt {
        let client = match self.http.client() {
            Ok(client) => client,
            Err(e) => return Attempt::Failed(ShopifyError::Unavailable(format!("no HTTP client: {e}"))),
        };
        let response = client
            .post(&self.endpoint)
            .header("X-Shopify-Access-Token", self.token)
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
        let body: Value = match response.json().await {
            Ok(body) => body,
            Err(e) if e.is_timeout() => return Attempt::Failed(ShopifyError::Unknown(without_url(e))),
            Err(_) if status == 429 || status == 503 => {
                return Attempt::Retry { after: retry_after, reason: format!("HTTP {status}") }
            }
            Err(_) if status >= 500 => return Attempt::Failed(ShopifyError::Unknown(format!("HTTP {status}"))),
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
fn classify(status: u16, retry_after: Duration, body: Value) -> Attempt {
    if status == 429 || status == 503 {
        return Attempt::Retry { after: retry_after, reason: format!("HTTP {status}") };
    }
    if status >= 500 {
        return Attempt::Failed(ShopifyError::Unknown(format!("HTTP {status}")));
    }
    if status >= 400 {
        return Attempt::Failed(ShopifyError::Refused(format!("HTTP {status}: {}", first_error(&body))));
    }
    let errors = body["errors"].as_array().map(Vec::as_slice).unwrap_or_default();
    if errors.iter().any(|e| e.pointer("/extensions/code") == Some(&json!("THROTTLED"))) {
        return Attempt::Retry { after: throttle_wait(&body), reason: "THROTTLED".into() };
    }
    if errors.iter().any(|e| e.pointer("/extensions/code") == Some(&json!("INTERNAL_SERVER_ERROR"))) {
        return Attempt::Failed(ShopifyError::Unknown(first_error(&body)));
    }
    if !errors.is_empty() {
        return Attempt::Failed(ShopifyError::Refused(first_error(&body)));
    }
    match body.get("data") {
        Some(data) if data.is_object() => Attempt::Done(data.clone()),
        _ => Attempt::Failed(ShopifyError::Unknown("an answer without data".into())),
    }
}

/// The wait Shopify's leaky bucket asks for: (requested - available) / restore rate, in seconds.
fn throttle_wait(body: &Value) -> Duration {
    let cost = &body["extensions"]["cost"];
    let requested = cost["requestedQueryCost"].as_f64().unwrap_or(10.0);
    let available = cost.pointer("/throttleStatus/currentlyAvailable").and_then(Value::as_f64).unwrap_or(0.0);
    let rate = cost.pointer("/throttleStatus/restoreRate").and_then(Value::as_f64).filter(|r| *r > 0.0).unwrap_or(50.0);
    Duration::from_secs_f64(((requested - available) / rate).clamp(0.05, 5.0))
}

fn header_seconds(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get("retry-after")?.to_str().ok()?;
    value.trim().parse::<f64>().ok().filter(|s| s.is_finite() && *s >= 0.0).map(Duration::from_secs_f64)
}

fn first_error(body: &Value) -> String {
    body.pointer("/errors/0/message").and_then(Value::as_str).unwrap_or("no message").to_string()
}

fn check_user_errors(payload: &Value) -> Result<(), ShopifyError> {
    let errors = payload["userErrors"].as_array().map(Vec::as_slice).unwrap_or_default();
    if errors.iter().any(|e| e["code"] == json!("TAKEN")) {
        return Err(ShopifyError::Taken);
    }
    match errors.first() {
        None => Ok(()),
        Some(e) => Err(ShopifyError::Refused(format!(
            "{} ({})",
            e["message"].as_str().unwrap_or("no message"),
            e["code"].as_str().unwrap_or("no code")
        ))),
    }
}

fn created_id(id: Option<&Value>) -> Result<String, ShopifyError> {
    id.and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| ShopifyError::Unknown("Shopify reported success without an id".into()))
}

/// reqwest's messages include the URL; the shop's endpoint is not secret, but keep logs short.
fn without_url(e: reqwest::Error) -> String {
    let kind = if e.is_timeout() { "timed out" } else { "connection failed" };
    format!("{kind}: {}", e.without_url())
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
        assert_eq!(kind(classify(200, second, json!({"data": {"x": 1}}))), "done");
        assert_eq!(kind(classify(429, second, json!({}))), "retry");
        assert_eq!(kind(classify(503, second, json!({}))), "retry");
        assert_eq!(kind(classify(502, second, json!({}))), "unknown");
        assert_eq!(kind(classify(401, second, json!({"errors": [{"message": "bad token"}]}))), "refused");
        let throttled = json!({"errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED"}}]});
        assert_eq!(kind(classify(200, second, throttled)), "retry");
        assert_eq!(kind(classify(200, second, json!({"errors": [{"message": "Field 'x' doesn't exist"}]}))), "refused");
    }

    #[test]
    fn a_throttled_call_waits_as_long_as_the_bucket_needs() {
        let body = json!({"extensions": {"cost": {"requestedQueryCost": 110,
            "throttleStatus": {"maximumAvailable": 2000, "currentlyAvailable": 10, "restoreRate": 100}}}});
        assert_eq!(throttle_wait(&body), Duration::from_secs(1));
    }

    #[test]
    fn a_taken_code_is_reported_as_such() {
        let payload = json!({"userErrors": [{"field": ["code"], "code": "TAKEN", "message": "Code must be unique"}]});
        assert_eq!(check_user_errors(&payload), Err(ShopifyError::Taken));
    }
}
