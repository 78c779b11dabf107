//! CORS for the UI extensions' routes. Customer account and checkout extensions run in a sandbox served from
//! `https://extensions.shopifycdn.com`, and call Tally from there with a session token in `Authorization`:
//! a header that needs the browser's preflight. The token, not the origin, proves the caller; the answer
//! names only the sandbox's origin (and a loopback one, for the local stack's stand-in pages), never `*`,
//! and allows no cookies.

use lambda_http::http::header::{
    HeaderName, HeaderValue, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_MAX_AGE, ORIGIN, VARY,
};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};

/// The origin of Shopify's UI extension sandbox.
pub const SANDBOX_ORIGIN: &str = "https://extensions.shopifycdn.com";

/// What an extension sends beyond a simple request's headers.
const ALLOWED_HEADERS: &str = "authorization, content-type, idempotency-key";
const ALLOWED_METHODS: &str = "GET, POST, OPTIONS";
/// How long a browser may keep a preflight's answer (Chromium keeps at most two hours).
const MAX_AGE_SECONDS: u32 = 7200;

/// Whether answers may be read by a script from `origin`: the sandbox, or a page on this machine.
pub fn allowed(origin: &str) -> bool {
    if origin == SANDBOX_ORIGIN {
        return true;
    }
    let Some(rest) = origin.strip_prefix("http://") else { return false };
    let (host, port) = rest.rsplit_once(':').unwrap_or((rest, "80"));
    matches!(host, "127.0.0.1" | "localhost" | "[::1]") && !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit())
}

/// `response`, readable by the request's origin if it is allowed.
pub fn allow(req: &Request, mut response: Response<Body>) -> Response<Body> {
    let headers = response.headers_mut();
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = allowed_origin(req) {
        headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    }
    response
}

/// The answer to a preflight: `204`, with the methods and headers allowed when the origin is; a browser
/// refuses the call that follows when they are missing.
pub fn preflight(req: &Request) -> Response<Body> {
    let mut response = Response::new(Body::Empty);
    *response.status_mut() = StatusCode::NO_CONTENT;
    if allowed_origin(req).is_some() {
        let headers = response.headers_mut();
        let fixed: [(HeaderName, HeaderValue); 3] = [
            (ACCESS_CONTROL_ALLOW_METHODS, HeaderValue::from_static(ALLOWED_METHODS)),
            (ACCESS_CONTROL_ALLOW_HEADERS, HeaderValue::from_static(ALLOWED_HEADERS)),
            (ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECONDS)),
        ];
        headers.extend(fixed);
    }
    allow(req, response)
}

fn allowed_origin(req: &Request) -> Option<HeaderValue> {
    let origin = req.headers().get(ORIGIN)?;
    allowed(origin.to_str().ok()?).then(|| origin.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_sandbox_and_this_machine_may_read_answers() {
        for origin in [SANDBOX_ORIGIN, "http://127.0.0.1:8788", "http://localhost:3000", "http://localhost"] {
            assert!(allowed(origin), "{origin}");
        }
        for origin in [
            "https://evil.example",
            "https://extensions.shopifycdn.com.evil.example",
            "http://extensions.shopifycdn.com",
            "https://127.0.0.1:8788",
            "http://127.0.0.1.evil.example:80",
            "http://localhost:",
            "http://localhost:80x",
            "null",
            "",
        ] {
            assert!(!allowed(origin), "{origin}");
        }
    }
}
