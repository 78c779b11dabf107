//! CORS for the UI extensions' routes. Customer account and checkout extensions run in Shopify's sandbox (its
//! workers' origin is `https://extensions.shopifycdn.com` today, which Shopify does not promise to keep) and
//! call Tally with a session token in `Authorization`: a header that needs the browser's preflight. The token,
//! never sent by a browser on its own, proves the caller, not the origin; so the answers may be read from any
//! origin (`*`, as Shopify's own app library answers extensions), and no cookie is ever allowed with them.

use lambda_http::http::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Response};

/// The origin of Shopify's UI extension sandbox, where the extensions' calls come from.
pub const SANDBOX_ORIGIN: &str = "https://extensions.shopifycdn.com";

/// What an extension sends beyond a simple request's headers.
const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key";
const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
/// How long a browser may keep a preflight's answer (Chromium keeps at most two hours).
const MAX_AGE_SECONDS: u32 = 7200;

/// `response`, readable by the extension that asked.
pub fn allow(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    response
}

/// The answer to a preflight: `204` with the methods and headers an extension uses.
pub fn preflight() -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    let fixed: [(HeaderName, HeaderValue); 3] = [
        (ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS)),
        (ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOWED_HEADERS)),
        (ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECONDS)),
    ];
    response.headers_mut().extend(fixed);
    allow(response)
}
