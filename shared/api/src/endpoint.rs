//! The shape every endpoint has. A read authenticates and runs its use case. A write authenticates, reads
//! its command from the request, reads what its idempotency key holds while its use case reads what it
//! needs (`prepare`), runs the use case under the attempt, answers, and keeps the answer for retries while
//! the last of its work is written (`Reply::finishing`), all in that order and in this one place.

use std::future::Future;
use std::pin::Pin;

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::http::StatusCode;
use lambda_http::{Body, Request, Response};
use serde::Serialize;
use tally_app::idempotency::{self, Attempt, Begun, KeyError, Keyed};
use tally_app::ports::store::{Answer, Claim, Taking};
use tally_app::ports::{Shopify, Store};
use tally_app::Deps;
use tally_domain::shop::{Shop, ShopDomain};

use crate::errors::Problem;
use crate::request::Invalid;
use crate::{auth, request};

/// What an endpoint answers: a status and a JSON body, and the rest of its work, if any, to be done while
/// the answer is kept.
pub struct Reply<'a> {
    status: u16,
    body: String,
    finishing: Option<Finishing<'a>>,
    /// Kept already, as promised with the request's effect: written again only if `finishing` changes it.
    promised: bool,
}

/// The last of a request's work, once its answer is known (a reward's outcome, recorded): it runs alongside
/// the keeping of the answer, so that the two writes cost one round trip. It gives another answer in the
/// rare case that it found the answer must change (the reward changed meanwhile).
pub type Finishing<'a> = Pin<Box<dyn Future<Output = Option<Result<Reply<'static>, Problem>>> + Send + 'a>>;

impl std::fmt::Debug for Reply<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reply").field("status", &self.status).field("body", &self.body).finish_non_exhaustive()
    }
}

impl Reply<'_> {
    pub fn json<T: Serialize>(status: u16, value: &T) -> Result<Reply<'static>, Problem> {
        let body = serde_json::to_string(value).map_err(|e| {
            tracing::error!(error = %e, "an answer would not serialize");
            Problem::from(tally_app::error::Unavailable::Busy)
        })?;
        Ok(Reply { status, body, finishing: None, promised: false })
    }

    /// An answer as it is kept.
    pub fn answer(answer: Answer) -> Reply<'static> {
        Reply { status: answer.status, body: answer.body, finishing: None, promised: false }
    }

    /// An answer the request's effect kept as promised (`Promise`).
    pub fn promised(answer: Answer) -> Reply<'static> {
        Reply { promised: true, ..Reply::answer(answer) }
    }
}

impl Reply<'static> {
    /// The same answer, with the rest of the request's work to do while it is kept.
    pub fn finishing<'a>(
        self,
        rest: impl Future<Output = Option<Result<Reply<'static>, Problem>>> + Send + 'a,
    ) -> Reply<'a> {
        Reply { finishing: Some(Box::pin(rest)), ..self }
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
    run: impl AsyncFnOnce(&Shop) -> Result<Reply<'static>, Problem>,
) -> Response<Body> {
    read_as(auth::api_key(deps, req).await, run).await
}

/// A read for a caller already authenticated (or refused).
pub(crate) async fn read_as<W>(
    who: Result<W, Problem>,
    run: impl AsyncFnOnce(&W) -> Result<Reply<'static>, Problem>,
) -> Response<Body> {
    respond(match who {
        Ok(caller) => run(&caller).await,
        Err(e) => Err(e),
    })
}

/// A write for the shop of the request's API key, honouring its `Idempotency-Key`: `parse` reads the
/// command from the request, `run` carries it out under the attempt. A shop that uninstalled the app can
/// read, not write (`403 SHOP_UNINSTALLED`), though the retry of a write made before is answered as it was.
pub async fn write<'d, S: Store, H: Shopify, C>(
    deps: &'d Deps<S, H>,
    req: &Request,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    run: impl AsyncFnOnce(&Shop, C, &Attempt) -> Result<Reply<'d>, Problem>,
) -> Response<Body> {
    let who = auth::api_key(deps, req).await;
    write_as(
        deps,
        req,
        who,
        parse,
        async |_, _| (),
        async |shop, command, (), attempt| run(shop, command, attempt).await,
    )
    .await
}

/// The same, with `prepare` reading what the use case needs at the same time as the key is read.
pub async fn write_prepared<'d, S: Store, H: Shopify, C, P>(
    deps: &'d Deps<S, H>,
    req: &Request,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    prepare: impl AsyncFnOnce(&Shop, &C) -> P,
    run: impl AsyncFnOnce(&Shop, C, P, &Attempt) -> Result<Reply<'d>, Problem>,
) -> Response<Body> {
    write_as(deps, req, auth::api_key(deps, req).await, parse, prepare, run).await
}

/// A write for a caller already authenticated (or refused), in the order every write follows.
pub(crate) async fn write_as<'d, S: Store, H: Shopify, W: Caller, C, P>(
    deps: &'d Deps<S, H>,
    req: &Request,
    who: Result<W, Problem>,
    parse: impl FnOnce(&Request) -> Result<C, Invalid>,
    prepare: impl AsyncFnOnce(&W, &C) -> P,
    run: impl AsyncFnOnce(&W, C, P, &Attempt) -> Result<Reply<'d>, Problem>,
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
    let keyed = match request::idempotency(req, caller.key_in_query()) {
        Ok(keyed) => keyed.map(|k| Keyed { key: caller.scope(k.key), ..k }),
        Err(e) => return Problem::from(e).response(),
    };
    let command = match parse(req) {
        Ok(command) => command,
        // A key used before is answered as it says, whatever the body now reads as.
        Err(e) => return as_the_key_says(deps, domain, keyed.as_ref()).await.unwrap_or(Problem::from(e).response()),
    };
    let (begun, prepared) = tokio::join!(idempotency::begin(deps, domain, keyed.as_ref()), prepare(&caller, &command));
    let attempt = match begun {
        Ok(Begun::Run(attempt)) => Attempt { deadline: request::deadline(req), ..attempt },
        Ok(Begun::Replay(answer)) => return replay(answer),
        Err(e) => return Problem::from(e).response(),
    };
    // After an uninstall nothing new is done; a retry of what was done before is answered as it was (a kept
    // answer, above) or as it stands (an effect made, resumed).
    let result = match caller.shop().is_uninstalled() && attempt.resume.is_none() {
        true => Err(Problem::uninstalled()),
        false => run(&caller, command, prepared, &attempt).await,
    };
    let (result, finishing, promised) = match result {
        Ok(Reply { status, body, finishing, promised }) => {
            (Ok(Reply { status, body, finishing: None, promised }), finishing, promised)
        }
        Err(e) => (Err(e), None, false),
    };
    // A refusal under a key that was free when the request began: another request under the key (a double
    // click) may have made its effect meanwhile, and then the answer is that request's, not this refusal.
    // (A refusal that is kept made no effect: a request that made one answers it, or asks for a retry.)
    let fresh = matches!(&attempt.claim, Some(Claim { taking: Taking::Fresh(_), .. }));
    if let (Err(e), true) = (&result, fresh) {
        if kept(e) {
            if let Some(answer) = as_the_key_says(deps, domain, keyed.as_ref()).await {
                return answer;
            }
        }
    }
    let (response, answer) = answered(result);
    let Some(finishing) = finishing else {
        idempotency::finish(deps, domain, &attempt, answer.as_ref()).await;
        return response;
    };
    let corrected = match promised {
        // Kept with the effect: the rest of the work is all there is to write.
        true => finishing.await,
        false => tokio::join!(finishing, idempotency::finish(deps, domain, &attempt, answer.as_ref())).0,
    };
    let Some(corrected) = corrected else { return response };
    let (response, answer) = answered(corrected);
    idempotency::finish(deps, domain, &attempt, answer.as_ref()).await;
    response
}

/// The response, and the answer to keep for retries. Answers that say "try again" (pending, busy,
/// unavailable, uninstalled, Shopify down) are not kept: the retry runs, or resumes (and a redemption
/// Shopify was down for, its points back, runs afresh).
fn answered(result: Result<Reply<'static>, Problem>) -> (Response<Body>, Option<Answer>) {
    let keep = match &result {
        Ok(reply) => reply.status != 202,
        Err(e) => kept(e),
    };
    let response = respond(result);
    let answer = match (keep, response.body()) {
        (true, Body::Text(text)) => Some(Answer { status: response.status().as_u16(), body: text.clone() }),
        _ => None,
    };
    (response, answer)
}

/// Whether a refusal is kept for retries: not one that says to try again.
fn kept(e: &Problem) -> bool {
    !e.is_transient() && e.code != "SHOPIFY_UNAVAILABLE"
}

/// What a key used by another request says this one is answered: its answer (a replay), or that it is
/// another request's or still running; `None` when nobody made an effect under it.
async fn as_the_key_says<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    keyed: Option<&Keyed>,
) -> Option<Response<Body>> {
    keyed?;
    match idempotency::begin(deps, domain, keyed).await {
        Ok(Begun::Replay(answer)) => Some(replay(answer)),
        Err(e @ (KeyError::Reused | KeyError::InProgress)) => Some(Problem::from(e).response()),
        Ok(Begun::Run(attempt)) => {
            // A key taken over from a request that died making no effect: let go again.
            idempotency::finish(deps, domain, &attempt, None).await;
            None
        }
        Err(KeyError::Unavailable(_)) => None,
    }
}

/// The response for any outcome.
pub fn respond(result: Result<Reply<'_>, Problem>) -> Response<Body> {
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
