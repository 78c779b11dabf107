//! The shape every endpoint has. A read authenticates and runs its use case. A write authenticates,
//! claims its idempotency key, reads its command from the request, runs its use case under the claim,
//! answers, and keeps the answer for retries, all in that order and in this one place.

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;

use super::errors::error_response;
use super::{auth, request};
use crate::app::idempotency::{self, Answer, Attempt, Begun, Keyed};
use crate::app::Deps;
use crate::domain::error::TallyError;
use crate::domain::shop::{Shop, ShopStatus};

/// What an endpoint answers: a status and a JSON body.
#[derive(Debug)]
pub struct Reply {
    status: u16,
    body: String,
}

impl Reply {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Reply, TallyError> {
        Ok(Reply { status, body: serde_json::to_string(value).map_err(TallyError::internal)? })
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
pub async fn read(
    deps: &Deps,
    req: &Request,
    run: impl AsyncFnOnce(&Shop) -> Result<Reply, TallyError>,
) -> Response<Body> {
    read_as(auth::api_key(deps, req).await, run).await
}

/// A read for a caller already authenticated (or refused).
pub(crate) async fn read_as<W>(
    who: Result<W, TallyError>,
    run: impl AsyncFnOnce(&W) -> Result<Reply, TallyError>,
) -> Response<Body> {
    respond(match who {
        Ok(caller) => run(&caller).await,
        Err(e) => Err(e),
    })
}

/// A write for the shop of the request's API key, honouring its `Idempotency-Key`: `parse` reads the
/// command from the request, `run` carries it out under the attempt. A shop that uninstalled the app can
/// read, not write (`403 SHOP_UNINSTALLED`), though the retry of a write made before is answered as it was.
pub async fn write<C>(
    deps: &Deps,
    req: &Request,
    parse: impl FnOnce(&Request) -> Result<C, TallyError>,
    run: impl AsyncFnOnce(&Shop, C, &Attempt) -> Result<Reply, TallyError>,
) -> Response<Body> {
    write_as(deps, req, auth::api_key(deps, req).await, parse, run).await
}

/// A write for a caller already authenticated (or refused), in the order every write follows.
pub(crate) async fn write_as<W: Caller, C>(
    deps: &Deps,
    req: &Request,
    who: Result<W, TallyError>,
    parse: impl FnOnce(&Request) -> Result<C, TallyError>,
    run: impl AsyncFnOnce(&W, C, &Attempt) -> Result<Reply, TallyError>,
) -> Response<Body> {
    let caller = match who {
        Ok(caller) => caller,
        Err(e) => return error_response(&e),
    };
    let domain = &caller.shop().domain;
    let begun = match request::idempotency(req, caller.key_in_query()) {
        Ok(keyed) => {
            let keyed = keyed.map(|k| Keyed { key: caller.scope(k.key), ..k });
            idempotency::begin(&deps.store, domain, keyed.as_ref()).await
        }
        Err(e) => Err(e),
    };
    let attempt = match begun {
        Ok(Begun::Run(attempt)) => Attempt { deadline: request::deadline(req), ..attempt },
        Ok(Begun::Replay(answer)) => return replay(answer),
        Err(e) => return error_response(&e),
    };
    // After an uninstall nothing new is done; a retry of what was done before is answered as it was (a kept
    // answer, above) or as it stands (an effect made, resumed).
    let uninstalled = caller.shop().status == ShopStatus::Uninstalled && attempt.resume.is_none();
    let result = match parse(req) {
        Ok(_) if uninstalled => Err(TallyError::ShopUninstalled),
        Ok(command) => run(&caller, command, &attempt).await,
        Err(e) => Err(e),
    };
    // Answers that say "try again" (pending, busy, unavailable, uninstalled) are not kept: the retry runs,
    // or resumes.
    let keep = match &result {
        Ok(reply) => reply.status != 202,
        Err(e) => !e.is_transient() && !matches!(e, TallyError::ShopUninstalled),
    };
    let response = respond(result);
    let answer = match (keep, response.body()) {
        (true, Body::Text(text)) => Some(Answer { status: response.status().as_u16(), body: text.clone() }),
        _ => None,
    };
    idempotency::finish(&deps.store, domain, &attempt, answer.as_ref()).await;
    response
}

/// The response for any outcome.
pub fn respond(result: Result<Reply, TallyError>) -> Response<Body> {
    match result {
        Ok(reply) => json_response(reply.status, reply.body),
        Err(e) => error_response(&e),
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
