//! Reading an API Gateway request: its body, query, path and idempotency key. What is wrong with any of
//! them is a precise `INVALID_REQUEST`.

use std::time::{Duration, Instant, SystemTime};

use lambda_http::{Body, Request, RequestExt};
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use tally_app::idempotency::Keyed;
use tally_domain::customer::{CustomerParts, CustomerRef, CustomerRefError};
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::loyalty::RewardPosition;
use tally_domain::points::{Number, PointsError};

pub use crate::invalid::Invalid;
use tally_domain::reward::RewardStatus;
use tally_domain::Time;

use crate::cursor;

/// The largest body Tally reads (the local server refuses larger ones before they arrive).
pub const MAX_BODY: usize = 1 << 20;

/// Whether the body is small enough to be read at all.
pub fn within_limit(req: &Request) -> bool {
    body(req).len() <= MAX_BODY
}

/// Whether the request declares a JSON body (`application/json`, with any parameters).
pub fn declares_json(req: &Request) -> bool {
    let declared =
        req.headers().get(lambda_http::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    declared.split(';').next().is_some_and(|media| media.trim().eq_ignore_ascii_case("application/json"))
}

pub fn body(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

/// The JSON body as `T`; unknown fields and wrong types are refused with the parser's own account.
pub fn json<T: DeserializeOwned>(req: &Request) -> Result<T, Invalid> {
    parse_json(body(req))
}

pub fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, Invalid> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(Invalid::NoBody);
    }
    serde_json::from_slice(body).map_err(|e| Invalid::Body(e.to_string()))
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
}

/// A phone number in the query: an unescaped `+` in a query string arrives as a space, and is read as `+`.
pub fn phone_param(req: &Request, name: &str) -> Option<String> {
    query_param(req, name).map(|p| p.strip_prefix(' ').map_or(p.clone(), |digits| format!("+{digits}")))
}

/// A numeric query parameter, if given.
pub fn query_number(req: &Request, name: &'static str) -> Result<Option<u64>, Invalid> {
    match query_param(req, name) {
        Some(value) => value.parse().map(Some).map_err(|_| Invalid::QueryNumber { name, value }),
        None => Ok(None),
    }
}

/// The customer a GET names in its query: exactly one of `customerId` (or `customer_id`, as Appstle's
/// integration guide writes it), `customerEmail`, `customerPhone`, `customerExternalId`.
pub fn customer(req: &Request) -> Result<CustomerRef, Invalid> {
    let id = match (query_number(req, "customerId")?, query_number(req, "customer_id")?) {
        (Some(id), Some(again)) if id != again => {
            return Err(CustomerRefError::Several("customerId and customer_id".into()).into())
        }
        (id, again) => id.or(again),
    };
    let email = query_param(req, "customerEmail");
    let phone = phone_param(req, "customerPhone");
    let external_id = query_param(req, "customerExternalId");
    let parts =
        CustomerParts { id, email: email.as_deref(), phone: phone.as_deref(), external_id: external_id.as_deref() };
    Ok(CustomerRef::from_parts(parts)?)
}

/// The `status` a list of rewards is asked for, if any.
pub fn reward_status(req: &Request) -> Result<Option<RewardStatus>, Invalid> {
    let Some(word) = query_param(req, "status") else { return Ok(None) };
    let allowed = || RewardStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    RewardStatus::parse(&word).map(Some).ok_or_else(|| Invalid::QueryWord { name: "status", allowed: allowed() })
}

/// The statuses a list of rewards is asked for, if any: one, or several joined by commas (`UNUSED,USED`).
pub fn reward_statuses(req: &Request) -> Result<Option<Vec<RewardStatus>>, Invalid> {
    let Some(words) = query_param(req, "status") else { return Ok(None) };
    let allowed = || RewardStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    let statuses = words.split(',').map(|w| RewardStatus::parse(w.trim()));
    let statuses = statuses.collect::<Option<Vec<_>>>();
    statuses.map(Some).ok_or_else(|| Invalid::QueryWord { name: "status", allowed: allowed() })
}

/// Where a page of rewards starts: the request's `cursor`, read for this shop.
pub fn reward_cursor(req: &Request, shop: &str) -> Result<Option<(CustomerId, RewardPosition)>, Invalid> {
    let Some(text) = query_param(req, "cursor") else { return Ok(None) };
    let (customer, at) = cursor::decode(&text, shop, cursor::REWARDS)?;
    let position = match at.as_slice() {
        [seconds, id] => Time::from_unix_timestamp(*seconds)
            .ok()
            .zip(u64::try_from(*id).ok().and_then(RewardId::new))
            .map(|(create_at, id)| RewardPosition { create_at, id }),
        _ => None,
    };
    Ok(Some((customer, position.ok_or(Invalid::Cursor)?)))
}

/// Where a page of activity starts: the request's `cursor`, read for this shop (whose customer, and the
/// sequence number of the last entry given).
pub fn activity_cursor(req: &Request, shop: &str) -> Result<Option<(CustomerId, u64)>, Invalid> {
    let Some(text) = query_param(req, "cursor") else { return Ok(None) };
    let (customer, at) = cursor::decode(&text, shop, cursor::ACTIVITY)?;
    match at.as_slice() {
        [seq] if *seq > 0 => Ok(Some((customer, *seq as u64))),
        _ => Err(Invalid::Cursor),
    }
}

/// A page's size, unless `limit` says otherwise, and the most `limit` may say.
pub const PAGE: usize = 50;
pub const MAX_PAGE: usize = 100;

/// A page's size: `limit` from 1 to `MAX_PAGE`, `PAGE` when not given.
pub fn limit(req: &Request) -> Result<usize, Invalid> {
    match query_param(req, "limit") {
        None => Ok(PAGE),
        Some(value) => {
            value.parse().ok().filter(|n| (1..=MAX_PAGE).contains(n)).ok_or(Invalid::Limit { max: MAX_PAGE })
        }
    }
}

/// A positive integer id from the path (`/…/{name}/…`).
pub fn path_id<T: std::str::FromStr>(req: &Request, name: &'static str) -> Result<T, Invalid> {
    path_text(req, name).and_then(|id| id.parse().ok()).ok_or(Invalid::PathId(name))
}

/// A path parameter as sent.
pub fn path_text<'r>(req: &'r Request, name: &str) -> Option<&'r str> {
    req.path_parameters_ref().and_then(|p| p.first(name))
}

/// A JSON number as sent, for the domain to judge (`100` and `100.0` are both 100 points).
pub fn number(field: &'static str, value: &serde_json::Value) -> Result<Number, Invalid> {
    let not_a_number = || Invalid::Points(PointsError::NotANumber { field, sent: value.to_string() });
    let number = value.as_number().ok_or_else(not_a_number)?;
    match (number.as_i64(), number.as_f64()) {
        (Some(n), _) => Ok(Number::Integer(n)),
        (None, Some(f)) => Ok(Number::Float(f)),
        _ => Err(not_a_number()),
    }
}

/// Time kept back from the Lambda's deadline to record Shopify's outcome and answer, whatever Shopify does.
const ANSWER_RESERVE: Duration = Duration::from_secs(2);

/// When the request must be done with Shopify: the Lambda's deadline, less the time to answer. `None`
/// where no Lambda runs the handler with a deadline.
pub fn deadline(req: &Request) -> Option<Instant> {
    let context = req.lambda_context_ref().filter(|context| context.deadline > 0)?;
    let left = context.deadline().duration_since(SystemTime::now()).unwrap_or_default();
    Some(Instant::now() + left.saturating_sub(ANSWER_RESERVE))
}

/// The request's `Idempotency-Key`, with what makes two requests the same: method, path and body (as
/// JSON, so that spacing does not matter). With `query_too`, a request without the header may give the key
/// as the `idempotency_key` query parameter (the portal's, which the App Proxy signs and surely forwards).
pub fn idempotency(req: &Request, query_too: bool) -> Result<Option<Keyed>, Invalid> {
    let key = match req.headers().get("idempotency-key") {
        Some(value) => value.to_str().map_err(|_| Invalid::IdempotencyKey)?.to_string(),
        None => match query_param(req, "idempotency_key").filter(|_| query_too) {
            Some(key) => key,
            None => return Ok(None),
        },
    };
    let key = key.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(Invalid::IdempotencyKey);
    }
    Ok(Some(Keyed { key: key.to_string(), fingerprint: fingerprint(req) }))
}

fn fingerprint(req: &Request) -> String {
    let body = body(req);
    let canonical = serde_json::from_slice::<serde_json::Value>(body)
        .map(|v| v.to_string().into_bytes())
        .unwrap_or_else(|_| body.to_vec());
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b" ");
    hash.update(req.uri().path());
    hash.update(b"\n");
    hash.update(canonical);
    hex::encode(hash.finalize())
}
