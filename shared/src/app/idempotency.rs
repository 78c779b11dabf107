//! Idempotency keys around a use case. `begin` claims the key (or finds its answer, or the effect of an
//! attempt whose answer was lost); the use case runs with the resulting `Attempt`, recording its effect in
//! the very transaction that makes it; `finish` keeps the answer for retries when the request made an
//! effect, lets the key go when the answer says to try again, and frees it when nothing was done.

use std::time::Instant;

use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::Time;
use crate::store::{Begin, Claim, Store};

/// A write's idempotency key, and what makes two requests under it the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    pub key: String,
    pub fingerprint: String,
}

/// How a write is to run: under a claim on its key, as the retry of an effect already made, and by when
/// it must be done with Shopify.
#[derive(Debug, Default)]
pub struct Attempt {
    pub claim: Option<Claim>,
    pub resume: Option<Effect>,
    /// One deadline for every call to Shopify the request makes, derived from the time the Lambda has left.
    pub deadline: Option<Instant>,
}

/// An answer as its client received it, kept under the key for the retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// What to do with a write.
#[derive(Debug)]
pub enum Begun {
    Run(Attempt),
    /// It was answered before: the same answer again.
    Replay(Answer),
}

/// Claims the key, if the write has one. A retry while the first attempt runs is `REQUEST_IN_PROGRESS`;
/// the key with another request is `IDEMPOTENCY_KEY_REUSED`.
pub async fn begin(store: &Store, domain: &str, keyed: Option<&Keyed>) -> Result<Begun, TallyError> {
    let Some(keyed) = keyed else { return Ok(Begun::Run(Attempt::default())) };
    // The lock is timed to the millisecond: the clock as it is, not the stored second.
    match store.begin_idempotent(domain, &keyed.key, &keyed.fingerprint, Time::now_utc()).await? {
        Begin::Run(claim) => Ok(Begun::Run(Attempt { claim: Some(claim), ..Attempt::default() })),
        Begin::Resume(claim, effect) => {
            tracing::info!(idempotency_key = %keyed.key, %effect, "resuming a request whose answer was lost");
            Ok(Begun::Run(Attempt { claim: Some(claim), resume: Some(effect), deadline: None }))
        }
        Begin::Replay { status, body } => Ok(Begun::Replay(Answer { status, body })),
        Begin::InProgress => Err(TallyError::RequestInProgress),
        Begin::Reused => Err(TallyError::IdempotencyKeyReused),
    }
}

/// Ends an attempt: `answer`, final, is kept for its retries if the request made an effect; without an
/// answer the key is let go at once, so that a retry resumes from the recorded effect. A request that made
/// no effect frees its key either way: a retry runs afresh.
pub async fn finish(store: &Store, domain: &str, attempt: &Attempt, answer: Option<&Answer>) {
    let Some(claim) = &attempt.claim else { return };
    let kept = match answer {
        Some(answer) => store.finish_idempotent(domain, claim, answer.status, &answer.body).await.map(|_| ()),
        None => store.release_idempotent(domain, claim).await,
    };
    if let Err(e) = kept {
        // The answer still goes out; a retry will resume from the recorded effect.
        tracing::warn!(error = %e, idempotency_key = %claim.key, "could not keep the answer");
    }
}
