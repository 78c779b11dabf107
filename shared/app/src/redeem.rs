//! A redemption, step by step: check, take the points with the reward `PENDING`, have Shopify issue it,
//! then record the outcome. If Shopify does not issue it, the points go back and the reward is `FAILED`.
//! A reward whose outcome is not known stays `PENDING` until it is settled (`settle`).

use tally_domain::customer::Customer;
use tally_domain::effect::Effect;
use tally_domain::error::{Missing, Refused};
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::loyalty::Loyalty;
use tally_domain::redemption::{check, RedeemCommand};
use tally_domain::reward::{DeductionMode, FailureReason, Reward, RewardState};
use tally_domain::shop::Shop;

use crate::balance::{change_balance, BalanceFailed};
use crate::error::{unavailable_into, ReadError, Unavailable};
use crate::idempotency::Attempt;
use crate::issue::{issue, record};
use crate::loyalty::lookup;
use crate::ports::store::{Idempotency, Rewards, Rules};
use crate::ports::write::NewCode;
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

/// Redeems, or answers the retry of a redemption whose points were taken but whose answer was lost.
pub async fn redeem<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    command: &RedeemCommand,
    attempt: &Attempt,
) -> Result<Redeemed, RedeemError> {
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
                other => return other,
            }
        }
        _ => attempt,
    };
    let store = deps.store.shop(&shop.domain);
    let (rule, customer) = tokio::try_join!(store.rule(command.redeem_rule_id), lookup(&store, &command.customer))?;
    let rule = rule.ok_or(Missing::Rule(command.redeem_rule_id))?;
    let customer = customer.ok_or_else(|| Missing::Customer(command.customer.clone()))?;
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
    let drawn = deps.draw_reward(&shop.code_prefix);
    let reward = Reward::pending(shop, customer.customer_id, &rule, &priced, variant_price, mode, now, drawn);
    let (reward, after) = take_points(deps, &store, customer, reward, &shop.code_prefix, attempt).await?;
    tracing::info!(customer_id = %reward.customer_id, rule_id = %rule.id, reward_id = %reward.id, "points taken");
    crash_point("after-debit");
    let outcome = issue(&shopify, &reward, &rule).await;
    let reward = record(&store, reward, outcome, deps.now()).await?;
    answer(deps, shop, reward, Some(after)).await
}

/// Takes the reward's points from the customer and records the reward as `PENDING`, with its code and the
/// request's effect, in one write. An id or a code another reward has is replaced by a fresh one.
async fn take_points<S: Store, H>(
    deps: &Deps<S, H>,
    store: &impl ShopStore,
    customer: Customer,
    mut reward: Reward,
    code_prefix: &str,
    attempt: &Attempt,
) -> Result<(Reward, Customer), RedeemError> {
    for _ in 0..MAX_DRAWS {
        let effect = Effect::Reward { customer_id: reward.customer_id, reward_id: reward.id };
        let with = |applied: &tally_domain::customer::Applied| {
            let reward = Reward { lots: applied.taken.clone(), ..reward.clone() };
            let code = reward.discount_code.clone().map(|code| NewCode {
                code,
                customer_id: reward.customer_id,
                reward_id: reward.id,
            });
            Write { code, ..Write::reward(RewardWrite::New(reward)) }.with_effect(attempt.claim.as_ref(), effect)
        };
        match change_balance(store, customer.clone(), &reward.payment(), reward.create_at, with).await {
            Ok(applied) => return Ok((Reward { lots: applied.taken, ..reward }, applied.customer)),
            Err(BalanceFailed::Refused(refused)) => return Err(refused.into()),
            Err(BalanceFailed::Missing(missing)) => return Err(missing.into()),
            Err(BalanceFailed::Rejected(Rejection::RewardIdTaken)) => reward = reward.with_id(deps.draw_reward_id()),
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
    answer(deps, shop, reward, None).await
}

/// The customer's loyalty with the reward, or `SHOPIFY_UNAVAILABLE` when it failed. The points are taken
/// by now: when the loyalty cannot be read again, the answer is made from the customer as the debit left
/// them (`after`) with this reward, rather than an error that would say nothing changed.
async fn answer<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    after: Option<Customer>,
) -> Result<Redeemed, RedeemError> {
    if let RewardState::Failed { reason } = reward.state {
        return Err(RedeemError::NotIssued(reason));
    }
    let loyalty = match (loyalty::of(deps, shop, reward.customer_id).await, after) {
        (Ok(loyalty), _) => loyalty,
        (Err(ReadError::Unavailable(e)), Some(customer)) => {
            tracing::warn!(error = %e, reward_id = %reward.id, "the loyalty could not be read again; answered from the debit");
            Loyalty::new(customer, vec![reward.clone()], &shop.currency, deps.now())
        }
        (Err(e), _) => return Err(e.into()),
    };
    Ok(Redeemed { loyalty, reward })
}
