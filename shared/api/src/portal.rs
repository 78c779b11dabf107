//! The customer portal: the logged-in customer's loyalty, options, activity and redemptions. Two doors lead
//! to the same operations: the storefront's, through Shopify's App Proxy (`/loyalty/cp/api/…`, proved by its
//! signature), and the UI extensions' in customer accounts and checkout (`/api/extension/…`, proved by a
//! session token, readable by the extensions' sandbox). The customer is the one the door proves, never
//! one a body names.

use lambda_http::http::header::{HeaderValue, CACHE_CONTROL};
use lambda_http::http::Method;
use lambda_http::{Body, Request, Response};

use tally_app::idempotency::Attempt;
use tally_app::ports::{Shopify, Store};
use tally_app::Deps;

use crate::endpoint::{read_as, write_as, Reply};
use crate::errors::Problem;
use crate::request::{self, Invalid};
pub use crate::shopper::Shopper;
use crate::{app_proxy, cors, session_token};

/// Where the extensions' routes begin.
pub const EXTENSION_PREFIX: &str = "/api/extension/";

/// The way a request came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Door {
    AppProxy,
    Extension,
}

impl Door {
    fn of(req: &Request) -> Door {
        match req.uri().path().starts_with(EXTENSION_PREFIX) {
            true => Door::Extension,
            false => Door::AppProxy,
        }
    }

    async fn shopper<S: Store, H: Shopify>(self, deps: &Deps<S, H>, req: &Request) -> Result<Shopper, Problem> {
        match self {
            Door::AppProxy => app_proxy::shopper(deps, req).await,
            Door::Extension => session_token::shopper(deps, req).await,
        }
    }

    /// The answer as the door gives it: never kept by a cache on the way; readable by the extensions'
    /// sandbox on theirs.
    fn finish(self, response: Response<Body>) -> Response<Body> {
        let response = private(response);
        match self {
            Door::AppProxy => response,
            Door::Extension => cors::allow(response),
        }
    }
}

/// A read for the logged-in customer.
pub async fn read<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    req: &Request,
    run: impl AsyncFnOnce(&Shopper) -> Result<Reply<'static>, Problem>,
) -> Response<Body> {
    let door = Door::of(req);
    if door == Door::Extension && req.method() == Method::OPTIONS {
        return cors::preflight();
    }
    door.finish(read_as(door.shopper(deps, req).await, run).await)
}

/// A write for the logged-in customer, honouring its `Idempotency-Key` as the external API does, with
/// `prepare` reading what the use case needs at the same time as the key is read.
pub async fn write<'d, S: Store, H: Shopify, C, P>(
    deps: &'d Deps<S, H>,
    req: &Request,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    prepare: impl AsyncFnOnce(&Shopper, &C) -> P,
    run: impl AsyncFnOnce(&Shopper, C, P, &Attempt) -> Result<Reply<'d>, Problem>,
) -> Response<Body> {
    let door = Door::of(req);
    if door == Door::Extension && req.method() == Method::OPTIONS {
        return cors::preflight();
    }
    // A form on another site can post to the App Proxy with the shopper's cookies, but not as JSON
    // without a CORS preflight the proxy never grants.
    if !request::declares_json(req) {
        return door.finish(Problem::not_json().response());
    }
    door.finish(write_as(deps, req, door.shopper(deps, req).await, parse, prepare, run).await)
}

/// One customer's answers are kept by no cache on the way.
fn private(mut response: Response<Body>) -> Response<Body> {
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    response
}
