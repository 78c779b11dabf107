//! Idempotency keys around a use case. `begin` claims the key (or finds its answer, or the effect of an
//! attempt whose answer was lost); the use case runs with the resulting `Attempt`, recording its effect in
//! the very write that makes it; `finish` keeps the answer for retries when the request made an effect,
//! lets the key go when the answer says to try again, and frees it when nothing was done. A redemption
//! may promise its answer in the write that makes its effect (`Promise`): once its reward is found issued,
//! that is the answer, and no `finish` is needed.

use std::time::Instant;

use tally_domain::effect::Effect;
use tally_domain::shop::ShopDomain;

use crate::error::Unavailable;
use crate::ports::store::{Answer, Begin, Idempotency, Promise, Rewards};
use crate::ports::{Claim, Store, Write};
use crate::Deps;

/// A write's idempotency key, and what makes two requests under it the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyed {
    pub key: String,
    pub fingerprint: String,
}

/// How a write is to run: under a claim on its key, as the retry of an effect already made, and by when
/// it must be done with Shopify.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub claim: Option<Claim>,
    pub resume: Option<Effect>,
    /// One deadline for every call to Shopify the request makes, derived from the time the Lambda has left.
    pub deadline: Option<Instant>,
    /// What the attempt this one resumes promised (`Promise`), taken from the key's record with it: the
    /// answer to give if the reward turns out issued, so that every answer under the key is the same.
    pub promised: Option<Promise>,
}

impl Attempt {
    /// `write`, recording `effect` under the attempt's claim (if it has one) in the same write.
    pub fn recording(&self, effect: Effect) -> impl Fn(Write) -> Write + Copy + '_ {
        move |write: Write| write.with_effect(self.claim.as_ref(), effect)
    }
}

/// What to do with a write.
#[derive(Debug)]
pub enum Begun {
    Run(Attempt),
    /// It was answered before: the same answer again.
    Replay(Answer),
}

/// Why a write cannot run under its key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("This Idempotency-Key was used for a different request")]
    Reused,
    #[error("A request with this Idempotency-Key is still running; retry shortly")]
    InProgress,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// Claims the key, if the write has one.
pub async fn begin<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &ShopDomain,
    keyed: Option<&Keyed>,
) -> Result<Begun, KeyError> {
    let Some(keyed) = keyed else { return Ok(Begun::Run(Attempt::default())) };
    let token = deps.draw_token();
    let store = deps.store.shop(shop);
    // The lock is timed to the millisecond: the clock as it is, not the stored second.
    let begun = store.begin(&keyed.key, &keyed.fingerprint, &token, deps.clock.now()).await;
    let mut taken = None;
    let begun = match begun.map_err(Unavailable::from)? {
        Begin::Promised { promise, effect } => match promised(&store, &promise, effect).await? {
            Some(answer) => Begin::Replay(answer),
            None => {
                let again = store.begin_unpromised(&keyed.key, &keyed.fingerprint, &token, deps.clock.now()).await;
                taken = Some(promise);
                again.map_err(Unavailable::from)?
            }
        },
        begun => begun,
    };
    match begun {
        Begin::Run(claim) => Ok(Begun::Run(Attempt { claim: Some(claim), ..Attempt::default() })),
        Begin::Resume(claim, effect) => {
            tracing::info!(idempotency_key = %keyed.key, %effect, "resuming a request whose answer was lost");
            Ok(Begun::Run(Attempt { claim: Some(claim), resume: Some(effect), deadline: None, promised: taken }))
        }
        Begin::Replay(answer) => Ok(Begun::Replay(answer)),
        Begin::InProgress => Err(KeyError::InProgress),
        Begin::Reused => Err(KeyError::Reused),
        // Not after `begin_unpromised`: a promise not kept is no answer.
        Begin::Promised { .. } => Err(KeyError::InProgress),
    }
}

/// The answer a request promised, if the reward its effect made was issued since.
async fn promised(store: &impl Rewards, promise: &Promise, effect: Effect) -> Result<Option<Answer>, Unavailable> {
    let Effect::Reward { customer_id, reward_id } = effect else { return Ok(None) };
    let reward = store.reward(customer_id, reward_id).await?;
    Ok(reward.as_ref().and_then(|reward| reward.issued_as()).map(|shopify_id| promise.kept(reward_id, shopify_id)))
}

/// Ends an attempt: `answer`, final, is kept for its retries if the request made an effect; without an
/// answer the key is let go at once, so that a retry resumes from the recorded effect. A request that made
/// no effect frees its key either way: a retry runs afresh.
pub async fn finish<S: Store, H>(deps: &Deps<S, H>, shop: &ShopDomain, attempt: &Attempt, answer: Option<&Answer>) {
    let Some(claim) = &attempt.claim else { return };
    let store = deps.store.shop(shop);
    let kept = match answer {
        Some(answer) => store.finish(claim, answer).await,
        None => store.release(claim).await,
    };
    if let Err(e) = kept {
        // The answer still goes out; a retry will resume from the recorded effect.
        tracing::warn!(error = %e, idempotency_key = %claim.key, "could not keep the answer");
    }
}
