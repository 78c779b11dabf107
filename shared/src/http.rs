//! API Gateway glue: API-key authentication, request reading, JSON responses and errors.

use lambda_http::http::{header, StatusCode};
use lambda_http::{Body, Request, RequestExt, Response};
use serde::Serialize;
use serde_json::json;

use crate::domain::customer::LoyaltyView;
use crate::domain::error::TallyError;
use crate::domain::shop::Shop;
use crate::store::Store;
use crate::Deps;

/// `Retry-After` on `409 REQUEST_IN_PROGRESS`. A live first request answers well within it; one whose
/// Lambda died frees its key when its lock expires, and the retries that come before get 409 again.
const RETRY_IN_PROGRESS_SECONDS: u64 = 1;

pub type Reply = Result<Response<Body>, TallyError>;

/// The shop whose `X-API-Key` the request carries.
pub async fn authenticate(store: &Store, req: &Request) -> Result<Shop, TallyError> {
    let key = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(TallyError::Unauthorized("the X-API-Key header is missing"))?;
    store.shop_for_api_key(key).await?.ok_or(TallyError::Unauthorized("the API key is not valid"))
}

pub fn body(req: &Request) -> &[u8] {
    match req.body() {
        Body::Text(text) => text.as_bytes(),
        Body::Binary(bytes) => bytes,
        _ => &[],
    }
}

pub fn query_param(req: &Request, name: &str) -> Option<String> {
    req.query_string_parameters_ref().and_then(|q| q.first(name)).map(str::to_string)
}

/// A positive integer id from the path (`/…/{name}/…`), or `INVALID_REQUEST`.
pub fn path_id(req: &Request, name: &str) -> Result<u64, TallyError> {
    req.path_parameters_ref()
        .and_then(|p| p.first(name))
        .and_then(|id| id.parse().ok())
        .filter(|id| *id > 0)
        .ok_or_else(|| TallyError::invalid(format!("the {name} in the path must be a positive integer")))
}

/// The customer's loyalty information, with `status`.
pub async fn loyalty_reply(deps: &Deps, shop: &Shop, customer_id: u64, status: u16) -> Reply {
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, customer_id)
        .await?
        .ok_or_else(|| TallyError::CustomerNotFound(customer_id.to_string()))?;
    json_response(status, &LoyaltyView::new(customer, rewards, &shop.currency))
}

pub fn json_response<T: Serialize>(status: u16, value: &T) -> Reply {
    let body = serde_json::to_string(value).map_err(TallyError::internal)?;
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::Text(body))
        .map_err(TallyError::internal)
}

/// The response for any outcome: errors become `{"error": {code, message, detail}}` with their status.
pub fn respond(reply: Reply) -> Response<Body> {
    let err = match reply {
        Ok(response) => return response,
        Err(err) => err,
    };
    match &err {
        TallyError::Internal(source) => tracing::error!(error = %source, "request failed"),
        _ if err.status() >= 500 => {
            tracing::warn!(code = err.code(), detail = %err, "request not completed")
        }
        _ => tracing::info!(code = err.code(), detail = %err, "request refused"),
    }
    let body = json!({"error": {"code": err.code(), "message": err.message(), "detail": err.detail()}});
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("application/json"));
    if let TallyError::RequestInProgress = err {
        response.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(RETRY_IN_PROGRESS_SECONDS));
    }
    response
}
