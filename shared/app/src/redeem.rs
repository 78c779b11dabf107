//! A redemption, step by step: check, take the points with the reward `PENDING`, have Shopify issue it,
//! then record the outcome. If Shopify does not issue it, the points go back and the reward is `FAILED`.
//! A reward whose outcome is not known stays `PENDING` until it is settled (`settle`).

use tally_domain::customer::{Customer, CustomerRef};
use tally_domain::effect::Effect;
use tally_domain::error::{Missing, Refused};
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::loyalty::{Loyalty, LATEST_REWARDS};
use tally_domain::redemption::{check, RedeemCommand};
use tally_domain::reward::{DeductionMode, FailureReason, Reward, RewardState};
use tally_domain::rule::RedeemRule;
use tally_domain::shop::Shop;

use crate::balance::{change_balance, BalanceFailed};
use crate::error::{unavailable_into, ReadError, Unavailable};
use crate::idempotency::Attempt;
use crate::issue::{issue, record, Issue};
use crate::ports::store::Answer;
use crate::ports::store::{Customers, Idempotency, Rewards, Rules};
use crate::ports::write::{NewCode, Promise};
use crate::ports::{Rejection, RewardWrite, ShopStore, Shopify, ShopifyShop, Store, Write};
use crate::settle::{past_grace, settle_pending};
use crate::{access, crash_point, loyalty, Deps};

/// The customer's loyalty information with the reward just created (or refunded).
#[derive(Debug, Clone, PartialEq)]
pub struct Redeemed {
    pub loyalty: Loyalty,
    pub reward: Reward,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RedeemError {
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Missing(#[from] Missing),
    /// Shopify did not issue the reward; its points are back.
    #[error("Shopify did not create the reward ({0})")]
    NotIssued(FailureReason),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(RedeemError);

impl From<ReadError> for RedeemError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing(missing) => RedeemError::Missing(missing),
            ReadError::ForeignCursor => RedeemError::Unavailable(Unavailable::Busy),
            ReadError::Unavailable(e) => RedeemError::Unavailable(e),
        }
    }
}

/// Fresh ids and codes are drawn this many times before a redemption gives up (`TRY_AGAIN`).
const MAX_DRAWS: usize = 5;

/// What a redemption reads before it decides, all at once: the rule, the customer and their newest rewards.
#[derive(Debug)]
pub struct Prepared(Result<(RedeemRule, Customer, Vec<Reward>), RedeemError>);

/// Reads the rule and the customer the command names in one call, with the customer's newest rewards for
/// the answer at the same time (and the endpoint the request's idempotency key). A customer named by an
/// identifier is found first.
pub async fn prepare<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, command: &RedeemCommand) -> Prepared {
    let store = deps.store.shop(&shop.domain);
    let read = async {
        let id = match &command.customer {
            CustomerRef::Id(id) => Some(*id),
            CustomerRef::Identity(identity) => store.owner(identity).await?,
        };
        let (customer, rule, newest) = match id {
            Some(id) => {
                let ((customer, rule), (newest, _)) = tokio::try_join!(
                    store.customer_and_rule(id, command.redeem_rule_id),
                    store.newest_rewards(id, None, LATEST_REWARDS)
                )?;
                (customer, rule, newest)
            }
            None => (None, store.rule(command.redeem_rule_id).await?, vec![]),
        };
        let rule = rule.ok_or(Missing::Rule(command.redeem_rule_id))?;
        let customer = customer.ok_or_else(|| Missing::Customer(command.customer.clone()))?;
        Ok((rule, customer, newest))
    };
    Prepared(read.await)
}

/// A redemption answered, and what is left to write of it: Shopify's outcome, recorded on the reward while
/// the answer is kept (`Issued::record`).
pub struct Issued<'a, S: Store, H> {
    pub redeemed: Redeemed,
    /// The answer as promised (`Promise`), Shopify's id in it: the endpoint answers with it rather than with
    /// `redeemed`.
    pub promised: Option<Promised>,
    recording: Option<Recording<'a, S, H>>,
}

/// A redemption's promised answer, and whether the key's record holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Promised {
    /// Held since the points' transaction: kept for retries once the reward's outcome is recorded.
    Held(Answer),
    /// Promised by the attempt this one resumed, and taken from the key's record with its claim: to be
    /// kept as any answer.
    Taken(Answer),
}

/// How an endpoint writes a redemption's answer, to promise it with the points' transaction (`Promise`).
pub type Render = fn(&Redeemed) -> Option<String>;

/// What recording Shopify's outcome did to the answer.
#[derive(Debug)]
pub enum Recorded {
    /// The answer stands.
    Stands,
    /// The answer stands, but the reward's outcome could not be recorded (reconciliation will): an answer
    /// promised is to be kept by a write of its own, since the promise holds only once the reward is issued.
    NotRecorded,
    /// The reward had changed meanwhile: the redemption as it now is.
    Changed(Box<Result<Redeemed, RedeemError>>),
}

struct Recording<'a, S: Store, H> {
    deps: &'a Deps<S, H>,
    shop: Shop,
    /// The reward as the debit wrote it (`PENDING`), and the customer as it left them.
    pending: Reward,
    after: Customer,
    rewards: Vec<Reward>,
    issue: Issue,
}

impl<S: Store, H> std::fmt::Debug for Issued<'_, S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued").field("redeemed", &self.redeemed).finish_non_exhaustive()
    }
}

impl<S: Store, H> Issued<'_, S, H> {
    /// Records Shopify's outcome on the reward. A write that fails leaves the reward `PENDING`, its code
    /// working in Shopify: reconciliation settles it, and the answer stands.
    pub async fn record(self) -> Recorded {
        let Some(Recording { deps, shop, pending, after, rewards, issue }) = self.recording else {
            return Recorded::Stands;
        };
        let store = deps.store.shop(&shop.domain);
        match record(&store, pending, issue, deps.now()).await {
            Ok(recorded) if recorded == self.redeemed.reward => Recorded::Stands,
            Ok(recorded) => Recorded::Changed(Box::new(answer_from(deps, &shop, recorded, after, rewards))),
            Err(e) => {
                tracing::warn!(error = %e, "the reward's outcome could not be recorded; reconciliation will");
                Recorded::NotRecorded
            }
        }
    }
}

/// Redeems, or answers the retry of a redemption whose points were taken but whose answer was lost: read,
/// decided, issued and recorded, one step after the other.
pub async fn redeem<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    command: &RedeemCommand,
    attempt: &Attempt,
) -> Result<Redeemed, RedeemError> {
    let prepared = prepare(deps, shop, command).await;
    let issued = redeem_prepared(deps, shop, command, prepared, attempt, None).await?;
    let answered = issued.redeemed.clone();
    match issued.record().await {
        Recorded::Changed(now) => *now,
        Recorded::Stands | Recorded::NotRecorded => Ok(answered),
    }
}

/// The same from what `prepare` read, answered before Shopify's outcome is recorded (`Issued::record`).
/// With `render` and a key, the answer is promised with the points' transaction where it can be: a
/// discount code's (store credit's tells when Shopify credited it), for a customer whose newest rewards
/// were all read, and short enough for the key's record to stay within one write unit.
pub async fn redeem_prepared<'a, S: Store, H: Shopify>(
    deps: &'a Deps<S, H>,
    shop: &Shop,
    command: &RedeemCommand,
    prepared: Prepared,
    attempt: &Attempt,
    render: Option<Render>,
) -> Result<Issued<'a, S, H>, RedeemError> {
    let fresh;
    let attempt = match (attempt.resume, &attempt.claim) {
        (Some(Effect::Reward { customer_id, reward_id }), Some(claim)) => {
            match resume(deps, shop, customer_id, reward_id, attempt).await {
                // The first attempt's reward was never issued (Shopify down) and its points came back: the
                // retry Shopify is meant for redeems afresh under the same key.
                Err(RedeemError::NotIssued(FailureReason::ShopifyUnavailable))
                    if deps.store.shop(&shop.domain).restart(claim).await? =>
                {
                    tracing::info!(idempotency_key = %claim.key, "retrying a redemption Shopify was down for");
                    fresh = Attempt { resume: None, ..attempt.clone() };
                    &fresh
                }
                other => {
                    return other.map(|redeemed| {
                        let promised = kept(attempt.promised.as_ref(), &redeemed.reward).map(Promised::Taken);
                        Issued { redeemed, promised, recording: None }
                    })
                }
            }
        }
        _ => attempt,
    };
    let (rule, customer, newest) = prepared.0?;
    let store = deps.store.shop(&shop.domain);
    let now = deps.now();
    let priced = check(&rule, &customer, command, now)?;
    let shopify = access::shopify(deps, shop, attempt.deadline);
    let variant_price = match priced.variant {
        Some(id) => match shopify.variant_price(id).await {
            Ok(Some(price)) => Some(price),
            Ok(None) => return Err(Missing::Variant(id).into()),
            Err(e) => return Err(Unavailable::shopify(e).into()),
        },
        None => None,
    };
    let mode = if command.delay_points_deduction { DeductionMode::OnOrder } else { DeductionMode::Immediate };
    let drawn = deps.draw_reward(&shop.code_prefix, now);
    let reward = Reward::pending(shop, customer.customer_id, &rule, &priced, variant_price, mode, now, drawn);
    let promising = |reward: &Reward, after: &Customer| {
        let (claim, render) = (attempt.claim.as_ref()?, render?);
        let effect = Effect::Reward { customer_id: reward.customer_id, reward_id: reward.id };
        let promise = promise(shop, render, reward, after, &newest, now)?;
        store.promise_fits(claim, &effect, &promise).then_some(promise)
    };
    let taken = take_points(deps, &store, customer, reward, &shop.code_prefix, attempt, &promising).await?;
    let (reward, after, promised) = taken;
    tracing::info!(customer_id = %reward.customer_id, rule_id = %rule.id, reward_id = %reward.id, "points taken");
    crash_point("after-debit");
    // The customer's newest rewards were read with them; older ones, where needed, while Shopify works.
    let (issue, rewards) = tokio::join!(issue(&shopify, &reward, &rule), loyalty::latest(&store, &after, newest));
    let rewards = rewards.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the customer's rewards could not be read; answered with this one alone");
        vec![]
    });
    let at = deps.now();
    if let Issue::Issued(shopify_id) = &issue {
        if let Ok(change) = reward.issued(shopify_id, at) {
            let promised = promised.map(|promise| Promised::Held(promise.kept(reward.id, shopify_id)));
            let redeemed = answer_from(deps, shop, change.reward, after.clone(), rewards.clone())?;
            let recording = Recording { deps, shop: shop.clone(), pending: reward, after, rewards, issue };
            return Ok(Issued { redeemed, promised, recording: Some(recording) });
        }
    }
    // Refused, or an outcome not known: recorded before the answer, which depends on it.
    let reward = record(&store, reward, issue, at).await?;
    let redeemed = answer_from(deps, shop, reward, after, rewards)?;
    Ok(Issued { redeemed, promised: None, recording: None })
}

/// The answer `promise` made, if Shopify issued `reward`.
fn kept(promise: Option<&Promise>, reward: &Reward) -> Option<Answer> {
    Some(promise?.kept(reward.id, reward.issued_as()?))
}

/// The answer a redemption promises if Shopify issues `reward`: as `render` writes it, with the customer as
/// the debit leaves them and their newest rewards as read, and a placeholder for Shopify's id. None when
/// it cannot be told before Shopify answers.
fn promise(
    shop: &Shop,
    render: Render,
    reward: &Reward,
    after: &Customer,
    newest: &[Reward],
    now: tally_domain::Time,
) -> Option<Promise> {
    // Store credit's answer tells when Shopify credited it.
    reward.discount_code.as_ref()?;
    let rewards = loyalty::latest_read(after, newest)?;
    let issued = reward.issued(&Promise::placeholder(reward.id), now).ok()?.reward;
    let loyalty = loyalty::after_change(shop, after.clone(), rewards, &issued, now);
    render(&Redeemed { loyalty, reward: issued }).map(|body| Promise { body })
}

/// Takes the reward's points from the customer and records the reward as `PENDING`, with its code, the
/// request's effect and the answer it promises, in one write: the reward, the customer after it, and that
/// promise. An id or a code another reward has is replaced by a fresh one.
async fn take_points<S: Store, H>(
    deps: &Deps<S, H>,
    store: &impl ShopStore,
    customer: Customer,
    mut reward: Reward,
    code_prefix: &str,
    attempt: &Attempt,
    promise: impl Fn(&Reward, &Customer) -> Option<Promise>,
) -> Result<(Reward, Customer, Option<Promise>), RedeemError> {
    // The promise of the write last tried: the one kept, once a write is done.
    let mut promised = None;
    for _ in 0..MAX_DRAWS {
        let effect = Effect::Reward { customer_id: reward.customer_id, reward_id: reward.id };
        let with = |applied: &tally_domain::customer::Applied| {
            let reward = Reward { lots: applied.taken.clone(), ..reward.clone() };
            let code = reward.discount_code.clone().map(|code| NewCode {
                code,
                customer_id: reward.customer_id,
                reward_id: reward.id,
            });
            promised = promise(&reward, &applied.customer);
            Write { code, promise: promised.clone(), ..Write::reward(RewardWrite::New(reward)) }
                .with_effect(attempt.claim.as_ref(), effect)
        };
        match change_balance(store, customer.clone(), &reward.payment(), reward.create_at, with).await {
            Ok(applied) => return Ok((Reward { lots: applied.taken, ..reward }, applied.customer, promised)),
            Err(BalanceFailed::Refused(refused)) => return Err(refused.into()),
            Err(BalanceFailed::Missing(missing)) => return Err(missing.into()),
            Err(BalanceFailed::Rejected(Rejection::RewardIdTaken)) => {
                let id = deps.draw_reward_id(reward.create_at);
                reward = reward.with_id(id)
            }
            Err(BalanceFailed::Rejected(Rejection::CodeTaken)) => {
                reward = reward.with_code(deps.draw_code(code_prefix))
            }
            Err(BalanceFailed::Rejected(_)) => return Err(Unavailable::InProgress.into()),
            Err(BalanceFailed::Unavailable(e)) => return Err(e.into()),
        }
    }
    Err(Unavailable::Busy.into())
}

async fn resume<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: CustomerId,
    reward_id: RewardId,
    attempt: &Attempt,
) -> Result<Redeemed, RedeemError> {
    let reward = deps.store.shop(&shop.domain).reward(customer_id, reward_id).await?;
    let reward = reward.ok_or(Missing::Reward(reward_id))?;
    let reward = match reward.is_pending() {
        true => {
            let past = past_grace(&reward, deps.now());
            settle_pending(deps, shop, reward, past, attempt.deadline).await?
        }
        false => reward,
    };
    answer(deps, shop, reward).await
}

/// The customer's loyalty with the reward, or `SHOPIFY_UNAVAILABLE` when it failed, read again: for the
/// retry of a redemption whose answer was lost.
async fn answer<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, reward: Reward) -> Result<Redeemed, RedeemError> {
    if let RewardState::Failed { reason } = reward.state {
        return Err(RedeemError::NotIssued(reason));
    }
    let loyalty = loyalty::of(deps, shop, reward.customer_id).await?;
    Ok(Redeemed { loyalty, reward })
}

/// The same from what the request holds, with no read: the customer as the debit left them, and their
/// rewards as read while Shopify worked, this one as it now stands among them.
fn answer_from<S, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    after: Customer,
    rewards: Vec<Reward>,
) -> Result<Redeemed, RedeemError> {
    if let RewardState::Failed { reason } = reward.state {
        return Err(RedeemError::NotIssued(reason));
    }
    Ok(Redeemed { loyalty: loyalty::after_change(shop, after, rewards, &reward, deps.now()), reward })
}
