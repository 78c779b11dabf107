//! Sending an operation to the Admin API: one deadline for the request, Shopify's throttling waited out,
//! a refused token renewed once, and each answer told apart as Shopify means it.

use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use tally_app::ports::{ShopifyError, ShopifyShop};
use tally_http::HttpError;

use crate::responses::Envelope;
use crate::{ShopifyClient, LAST_CALL};

impl ShopifyClient<'_> {
    /// Sends one operation, retrying what Shopify did not act on (429, 503, THROTTLED) with the waits it
    /// asks for, inside the time budget. Returns the answer's `data`, read as `T`.
    ///
    /// A token Shopify refuses (401) is renewed once, and the call made again with the new one.
    pub(crate) async fn call<T: DeserializeOwned>(&self, document: &str, variables: Value) -> Result<T, ShopifyError> {
        self.send(document, variables, true).await
    }

    /// The same for a mutation that must never run twice (a store credit): only what Shopify cannot have
    /// acted on (429, THROTTLED, no connection) is retried; a 503 may have been carried out, so its outcome
    /// is unknown.
    pub(crate) async fn call_once<T: DeserializeOwned>(
        &self,
        document: &str,
        variables: Value,
    ) -> Result<T, ShopifyError> {
        self.send(document, variables, false).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        document: &str,
        variables: Value,
        repeatable: bool,
    ) -> Result<T, ShopifyError> {
        let deadline = self.deadline();
        let mut token = self.tokens.token().await?;
        let mut renewed = false;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left < LAST_CALL {
                return Err(ShopifyError::Unavailable("no time was left to ask Shopify".into()));
            }
            let (retry_after, error) = match self.send_once(document, &variables, &token, left).await {
                Attempt::Done(data) => return read_data(document, data),
                Attempt::Failed(error) => return Err(error),
                Attempt::Unauthorized if !renewed => {
                    tracing::info!("Shopify refused the token; renewing it once");
                    token = self.tokens.renew(&token).await?;
                    renewed = true;
                    continue;
                }
                Attempt::Unauthorized => {
                    return Err(ShopifyError::Refused("HTTP 401: the access token was refused".into()))
                }
                Attempt::Retry { maybe_done: true, reason, .. } if !repeatable => {
                    return Err(ShopifyError::Unknown(format!("{reason}, which may have been carried out")))
                }
                Attempt::Retry { after, reason, .. } => (after, ShopifyError::Unavailable(reason)),
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
    async fn send_once(&self, document: &str, variables: &Value, token: &str, left: Duration) -> Attempt {
        let client = match self.http.client() {
            Ok(client) => client,
            Err(e) => return Attempt::Failed(ShopifyError::Unavailable(format!("no HTTP client: {e}"))),
        };
        let request = json!({"query": document, "variables": variables}).to_string().into_bytes();
        let headers = [("X-Shopify-Access-Token", token)];
        let timeout = left.min(self.http.timeouts.request);
        let response = match client.post(&self.endpoint, "application/json", &headers, request, timeout).await {
            Ok(response) => response,
            Err(HttpError::Connect(reason)) => {
                return Attempt::Retry { after: Duration::from_millis(200), reason, maybe_done: false }
            }
            // Nothing was sent.
            Err(e @ (HttpError::Request(_) | HttpError::Tls(_))) => {
                return Attempt::Failed(ShopifyError::Unavailable(e.to_string()))
            }
            Err(e) => return Attempt::Failed(ShopifyError::Unknown(e.to_string())),
        };
        let status = response.status;
        if status == 401 {
            return Attempt::Unauthorized;
        }
        let retry_after = header_seconds(&response.headers).unwrap_or(Duration::from_secs(1));
        let body: Envelope = match serde_json::from_slice(&response.body) {
            Ok(body) => body,
            Err(_) if status == 429 || status == 503 => {
                return Attempt::Retry {
                    after: retry_after,
                    reason: format!("HTTP {status}"),
                    maybe_done: status == 503,
                }
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

pub(crate) enum Attempt {
    Done(Value),
    Failed(ShopifyError),
    /// Shopify refused the token (401).
    Unauthorized,
    Retry {
        after: Duration,
        reason: String,
        /// Shopify may have carried the request out (a 503 can come after it did): a mutation that must
        /// not run twice is not retried.
        maybe_done: bool,
    },
}

/// What an answer means: data, a refusal, or a wait before trying again.
pub(crate) fn classify(status: u16, retry_after: Duration, body: Envelope) -> Attempt {
    if status == 429 || status == 503 {
        return Attempt::Retry { after: retry_after, reason: format!("HTTP {status}"), maybe_done: status == 503 };
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
        return Attempt::Retry { after: throttle_wait(&body), reason: "THROTTLED".into(), maybe_done: false };
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
pub(crate) fn read_data<T: DeserializeOwned>(document: &str, data: Value) -> Result<T, ShopifyError> {
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

fn header_seconds(headers: &tally_http::HeaderMap) -> Option<Duration> {
    let value = headers.get("retry-after")?.to_str().ok()?;
    // Any number Shopify sends is taken, up to a minute: a wait past that is no wait a request can make.
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(|s| Duration::from_secs_f64(s.min(60.0)))
}

fn first_error(body: &Envelope) -> String {
    body.errors.first().map_or_else(|| "no message".to_string(), |e| e.message.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::responses;

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
            Attempt::Unauthorized => "unauthorized",
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
    fn an_answer_of_another_shape_is_an_unknown_outcome() {
        let read = read_data::<responses::DiscountByCode>("query FindDiscountByCode($code: String!)", json!({"x": 1}));
        assert!(matches!(read, Err(ShopifyError::Unknown(reason)) if reason.contains("codeDiscountNodeByCode")));
    }
}
