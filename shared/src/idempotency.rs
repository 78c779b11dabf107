//! Every write honours `Idempotency-Key`: a retry with the same key gets the first answer, with no new
//! effect; the same key with a different request gets 422; a retry while the first still runs gets 409.

use std::future::Future;

use lambda_http::http::header::{HeaderValue, CONTENT_TYPE};
use lambda_http::{Body, Request, Response};
use sha2::{Digest, Sha256};

use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::shop::Shop;
use crate::http::{authenticate, body, respond, Reply};
use crate::store::{Begin, Claim};
use crate::Deps;

/// How a write is to run: under a claim on its key, and as the retry of an effect already made.
#[derive(Debug, Default)]
pub struct Attempt {
    pub claim: Option<Claim>,
    pub resume: Option<Effect>,
}

/// Runs a write for the shop of the request's API key, honouring its `Idempotency-Key`.
pub async fn write<F, Fut>(deps: &Deps, req: &Request, run: F) -> Response<Body>
where
    F: FnOnce(Shop, Attempt) -> Fut,
    Fut: Future<Output = Reply>,
{
    let shop = match authenticate(&deps.store, req).await {
        Ok(shop) => shop,
        Err(e) => return respond(Err(e)),
    };
    tracing::Span::current().record("shop", shop.domain.as_str());
    let key = match idempotency_key(req) {
        Ok(Some(key)) => key,
        Ok(None) => return respond(run(shop, Attempt::default()).await),
        Err(e) => return respond(Err(e)),
    };
    let (claim, resume) = match deps.store.begin_idempotent(&shop.domain, &key, &fingerprint(req)).await {
        Ok(Begin::Run(claim)) => (claim, None),
        Ok(Begin::Resume(claim, effect)) => match effect.parse() {
            Ok(effect) => (claim, Some(effect)),
            Err(e) => return respond(Err(TallyError::internal(e))),
        },
        Ok(Begin::Replay { status, body }) => return replay(status, body),
        Ok(Begin::InProgress) => return respond(Err(TallyError::RequestInProgress)),
        Ok(Begin::Reused) => return respond(Err(TallyError::IdempotencyKeyReused)),
        Err(e) => return respond(Err(e)),
    };
    if let Some(effect) = &resume {
        tracing::info!(idempotency_key = %key, %effect, "resuming a request whose answer was lost");
    }
    let domain = shop.domain.clone();
    let reply = run(shop, Attempt { claim: Some(claim.clone()), resume }).await;
    let is_final = match &reply {
        Ok(response) => response.status() != 202,
        Err(e) => !matches!(e, TallyError::Internal(_) | TallyError::Busy | TallyError::RequestInProgress),
    };
    let response = respond(reply);
    let kept = match (is_final, response.body()) {
        (true, Body::Text(text)) => {
            deps.store.finish_idempotent(&domain, &claim, response.status().as_u16(), text).await
        }
        _ => deps.store.release_idempotent(&domain, &claim).await,
    };
    if let Err(e) = kept {
        // The answer still goes out; a retry will resume from the recorded effect.
        tracing::warn!(error = %e, idempotency_key = %key, "could not keep the answer");
    }
    response
}

fn idempotency_key(req: &Request) -> Result<Option<String>, TallyError> {
    let Some(value) = req.headers().get("idempotency-key") else { return Ok(None) };
    let key = value.to_str().map_err(|_| TallyError::invalid("Idempotency-Key must be printable ASCII"))?.trim();
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(TallyError::invalid("Idempotency-Key must be 1 to 255 printable characters without spaces"));
    }
    Ok(Some(key.to_string()))
}

/// What makes two requests the same: method, path and body (as JSON, so that spacing does not matter).
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

fn replay(status: u16, body: String) -> Response<Body> {
    let mut response = Response::new(Body::Text(body));
    *response.status_mut() = lambda_http::http::StatusCode::from_u16(status).unwrap_or_default();
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    response
}
