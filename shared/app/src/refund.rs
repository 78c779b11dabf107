//! The shop takes an unused reward back. Its code stops working in Shopify first; then, in one write, the
//! reward becomes `REFUNDED` and its points come back (or its reservation is released). A code that still
//! works never outlives its reward.

use std::time::Duration;

use tally_domain::customer::{Customer, CustomerRef};
use tally_domain::effect::Effect;
use tally_domain::error::Missing;
use tally_domain::ids::RewardId;
use tally_domain::loyalty::LATEST_REWARDS;
use tally_domain::reward::{NotRefundable, RefundRefused, Reward};
use tally_domain::shop::Shop;

use crate::balance::{change_reward, change_reward_on, plain, Decided};
use crate::codes::{self, Code};
use crate::error::{unavailable_into, ReadError, ShopifyDown, Unavailable};
use crate::idempotency::Attempt;
use crate::ports::store::{Customers, Rewards};
use crate::ports::{Shopify, ShopifyError, ShopifyShop, Store};
use crate::redeem::Redeemed;
use crate::{access, crash_point, loyalty, Deps};

/// Why a reward is taken back when the shop gives no reason.
pub const DEFAULT_REASON: &str = "refunded unused";

/// How long a refund may still be running: twice the longest a function runs. A request older than this
/// was left by a refund that died; reconciliation settles it, and another refund may take it over.
pub const IN_FLIGHT: Duration = Duration::from_secs(30);

/// The shop's request to take a reward back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCommand {
    /// The reward's customer: a reward is kept under its customer.
    pub customer: CustomerRef,
    pub reward_id: RewardId,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RefundError {
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error("Reward {reward_id} cannot be refunded: {why}")]
    NotRefundable { reward_id: RewardId, why: NotRefundable },
    /// Shopify could not deactivate the code; nothing was changed.
    #[error("Shopify could not deactivate the code; try again")]
    NotReverted(ShopifyDown),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(RefundError);

impl From<ReadError> for RefundError {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing(missing) => RefundError::Missing(missing),
            ReadError::ForeignCursor => RefundError::Unavailable(Unavailable::Busy),
            ReadError::Unavailable(e) => RefundError::Unavailable(e),
        }
    }
}

/// What a refund reads before it decides, all at once: the reward, its customer and their newest rewards
/// (for the answer).
#[derive(Debug)]
pub struct Prepared(Result<Read, RefundError>);

#[derive(Debug)]
struct Read {
    reward: Reward,
    customer: Customer,
    newest: Vec<Reward>,
}

/// Reads the reward the command names, its customer and their newest rewards (at the same time as the
/// endpoint reads the request's idempotency key; a customer named by an identifier is found first).
pub async fn prepare<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, command: &RefundCommand) -> Prepared {
    let store = deps.store.shop(&shop.domain);
    let reward_id = command.reward_id;
    let read = async {
        let missing = || Missing::Customer(command.customer.clone());
        let id = match &command.customer {
            CustomerRef::Id(id) => *id,
            CustomerRef::Identity(identity) => store.owner(identity).await?.ok_or_else(missing)?,
        };
        let (customer, (newest, _), reward) = tokio::try_join!(
            store.customer(id),
            store.newest_rewards(id, None, LATEST_REWARDS),
            store.reward(id, reward_id)
        )?;
        let customer = customer.ok_or_else(missing)?;
        let reward = reward.ok_or(Missing::Reward(reward_id))?;
        Ok(Read { reward, customer, newest })
    };
    Prepared(read.await)
}

/// Refunds the customer's reward; answers with the customer's loyalty and the reward as it now is.
pub async fn refund<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    command: &RefundCommand,
    attempt: &Attempt,
) -> Result<Redeemed, RefundError> {
    let prepared = prepare(deps, shop, command).await;
    refund_prepared(deps, shop, command, prepared, attempt).await
}

/// The same from what `prepare` read.
pub async fn refund_prepared<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    command: &RefundCommand,
    prepared: Prepared,
    attempt: &Attempt,
) -> Result<Redeemed, RefundError> {
    if let Some(Effect::Refund { customer_id, reward_id }) = attempt.resume {
        let found = deps.store.shop(&shop.domain).reward(customer_id, reward_id).await?;
        let reward = found.ok_or(Missing::Reward(reward_id))?;
        return Ok(Redeemed { loyalty: loyalty::of(deps, shop, reward.customer_id).await?, reward });
    }
    let (reward, after, rewards) = take_back(deps, shop, command, prepared.0?, attempt).await?;
    // Answered from what the refund wrote, and the rewards read with the customer (read afresh if the older
    // ones could not be read).
    let Some(rewards) = rewards else {
        return Ok(Redeemed { loyalty: loyalty::of(deps, shop, reward.customer_id).await?, reward });
    };
    Ok(Redeemed { loyalty: loyalty::after_change(shop, after, rewards, &reward, deps.now()), reward })
}

/// Takes the reward back: the reward, and the customer, as it left them, with the rewards the answer shows
/// (as read before Shopify was asked: a reward another request changed meanwhile shows as it was read),
/// `None` when they could not all be read.
async fn take_back<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    command: &RefundCommand,
    Read { reward, customer, newest }: Read,
    attempt: &Attempt,
) -> Result<(Reward, Customer, Option<Vec<Reward>>), RefundError> {
    let store = deps.store.shop(&shop.domain);
    let reward_id = command.reward_id;
    let refused = |why| RefundError::NotRefundable { reward_id, why };
    let now = deps.now();
    reward.refundable(Some(now)).map_err(refused)?;
    let shopify = access::shopify(deps, shop, attempt.deadline);
    let code = codes::in_shopify(&shopify, &reward).await.map_err(|e| not_reverted(&e))?;
    if code == Code::Used {
        return Err(refused(NotRefundable::CodeUsed));
    }
    // Written before the code is touched, so that a refund that stops halfway is found and finished.
    let begun = change_reward(&store, reward, now, plain, |r| r.refund_begun(&command.reason, now, now - IN_FLIGHT));
    let begun = match begun.await? {
        Decided::Done(begun) => begun,
        Decided::Declined { why: RefundRefused::NotRefundable(why), .. } => return Err(refused(why)),
        Decided::Declined { why: RefundRefused::InProgress, .. } => return Err(Unavailable::Busy.into()),
    };
    // Older rewards the answer shows, where the customer's record needs them, are read while Shopify works.
    let deactivated = async {
        match &code {
            Code::Unused { id, active: true } => shopify.deactivate_discount(id).await,
            _ => Ok(()),
        }
    };
    let (deactivated, rewards) = tokio::join!(deactivated, loyalty::latest(&store, &customer, newest));
    let rewards =
        rewards.inspect_err(|e| tracing::warn!(error = %e, "the customer's older rewards could not be read")).ok();
    if let Err(e) = deactivated {
        // Shopify surely did nothing: the request is taken back. Its answer was lost: Shopify may have
        // deactivated the code, so reconciliation decides from what Shopify holds.
        if !matches!(e, ShopifyError::Unknown(_)) {
            let abandoned = change_reward(&store, begun, deps.now(), plain, |r| r.refund_abandoned(now)).await;
            if let Err(abandon) = abandoned {
                tracing::warn!(%reward_id, error = %abandon, "could not take the refund back; reconcile will");
            }
        }
        return Err(not_reverted(&e));
    }
    crash_point("refund-after-shopify");
    let effect = Effect::Refund { customer_id: begun.customer_id, reward_id };
    // Decided on the customer as read; read again only if another write changed them since.
    let recording = attempt.recording(effect);
    let finishing = |r: &Reward| r.refund_finished(now, DEFAULT_REASON);
    let finished = change_reward_on(&store, begun, Some(customer.clone()), deps.now(), recording, finishing);
    match finished.await? {
        (Decided::Done(refunded), after) => {
            tracing::info!(customer_id = %refunded.customer_id, %reward_id, points = refunded.points_redeemed, "reward refunded");
            Ok((refunded, after.unwrap_or(customer), rewards))
        }
        (Decided::Declined { why, .. }, _) => Err(refused(why)),
    }
}

fn not_reverted(e: &ShopifyError) -> RefundError {
    tracing::warn!(error = %e, "Shopify could not be asked about the code, or could not deactivate it");
    RefundError::NotReverted(ShopifyDown::from(e))
}
