//! The shape every endpoint has. A read authenticates and runs its use case. A write authenticates,
//! claims its idempotency key, reads its command from the request, runs its use case under the claim,
//! answers, and keeps the answer for retries, all in that order and in this one place.

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use tally_app::idempotency::{self, Attempt, Begun, Keyed};
use tally_app::ports::store::Answer;
use tally_app::ports::{Shopify, Store};
use tally_app::Deps;
use tally_domain::shop::Shop;

use crate::errors::Problem;
use crate::request::Invalid;
use crate::{auth, request};

/// What an endpoint answers: a status and a JSON body.
#[derive(Debug)]
pub struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Reply, Problem> {
        let body = serde_json::to_string(value).map_err(|e| {
            tracing::error!(error = %e, "an answer would not serialize");
            Problem::from(tally_app::error::Unavailable::Busy)
        })?;
        Ok(Reply { status, body })
    }
}

/// Who a request comes from: a shop by its API key, or a shopper through the App Proxy (`portal`).
pub trait Caller {
    fn shop(&self) -> &Shop;

    /// Where the caller's idempotency keys live in the shop's: the key as sent, unless callers must be kept
    /// apart.
    fn scope(&self, key: String) -> String {
        key
    }

    /// Whether the caller may give its idempotency key in the query as well as in the header.
    fn key_in_query(&self) -> bool {
        false
    }
}

impl Caller for Shop {
    fn shop(&self) -> &Shop {
        self
    }
}

/// A read for the shop of the request's API key.
pub async fn read<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    req: &Request,
    run: impl AsyncFnOnce(&Shop) -> Result<Reply, Problem>,
) -> Response<Body> {
    read_as(auth::api_key(deps, req).await, run).await
}

/// A read for a caller already authenticated (or refused).
pub(crate) async fn read_as<W>(
    who: Result<W, Problem>,
    run: impl AsyncFnOnce(&W) -> Result<Reply, Problem>,
) -> Response<Body> {
    respond(match who {
        Ok(caller) => run(&caller).await,
        Err(e) => Err(e),
    })
}

/// A write for the shop of the request's API key, honouring its `Idempotency-Key`: `parse` reads the
/// command from the request, `run` carries it out under the attempt. A shop that uninstalled the app can
/// read, not write (`403 SHOP_UNINSTALLED`), though the retry of a write made before is answered as it was.
pub async fn write<S: Store, H: Shopify, C>(
    deps: &Deps<S, H>,
    req: &Request,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    run: impl AsyncFnOnce(&Shop, C, &Attempt) -> Result<Reply, Problem>,
) -> Response<Body> {
    write_as(deps, req, auth::api_key(deps, req).await, parse, run).await
}

/// A write for a caller already authenticated (or refused), in the order every write follows.
pub(crate) async fn write_as<S: Store, H: Shopify, W: Caller, C>(
    deps: &Deps<S, H>,
    req: &Request,
    who: Result<W, Problem>,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    run: impl AsyncFnOnce(&W, C, &Attempt) -> Result<Reply, Problem>,
) -> Response<Body> {
    // Nothing reads a body past the limit, not even to fingerprint it.
    if !request::within_limit(req) {
        return Problem::too_large().response();
    }
    let caller = match who {
        Ok(caller) => caller,
        Err(e) => return e.response(),
    };
    let domain = &caller.shop().domain;
    let begun = match request::idempotency(req, caller.key_in_query()) {
        Ok(keyed) => {
            let keyed = keyed.map(|k| Keyed { key: caller.scope(k.key), ..k });
            idempotency::begin(deps, domain, keyed.as_ref()).await.map_err(Problem::from)
        }
        Err(e) => Err(e.into()),
    };
    let attempt = match begun {
        Ok(Begun::Run(attempt)) => Attempt { deadline: request::deadline(req), ..attempt },
        Ok(Begun::Replay(answer)) => return replay(answer),
        Err(e) => return e.response(),
    };
    // After an uninstall nothing new is done; a retry of what was done before is answered as it was (a kept
    // answer, above) or as it stands (an effect made, resumed).
    let uninstalled = caller.shop().is_uninstalled() && attempt.resume.is_none();
    let result = match parse(req) {
        Ok(_) if uninstalled => Err(Problem::uninstalled()),
        Ok(command) => run(&caller, command, &attempt).await,
        Err(e) => Err(e.into()),
    };
    // Answers that say "try again" (pending, busy, unavailable, uninstalled, Shopify down) are not kept: the
    // retry runs, or resumes (and a redemption Shopify was down for, its points back, runs afresh).
    let keep = match &result {
        Ok(reply) => reply.status != 202,
        Err(e) => !e.is_transient() && e.code != "SHOPIFY_UNAVAILABLE",
    };
    let response = respond(result);
    let answer = match (keep, response.body()) {
        (true, Body::Text(text)) => Some(Answer { status: response.status().as_u16(), body: text.clone() }),
        _ => None,
    };
    idempotency::finish(deps, domain, &attempt, answer.as_ref()).await;
    response
}

/// The response for any outcome.
pub fn respond(result: Result<Reply, Problem>) -> Response<Body> {
    match result {
        Ok(reply) => json_response(reply.status, reply.body),
        Err(e) => e.response(),
    }
}

fn json_response(status: u16, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// The first answer again, marked as a replay.
fn replay(answer: Answer) -> Response<Body> {
    let mut response = json_response(answer.status, answer.body);
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
