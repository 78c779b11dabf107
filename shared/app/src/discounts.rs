//! Appstle's calls about a reward's code (`check-discount`, `update-discount`,
//! `update-discount-code-status`): whether a code can be used now, and the status a headless checkout or an
//! operator sets on it. A code is found through its reward; another customer's code, when a customer is
//! named, is no code of theirs.

use tally_domain::customer::CustomerRef;
use tally_domain::effect::Effect;
use tally_domain::ids::CustomerId;
use tally_domain::reward::{Reward, RewardStatus};
use tally_domain::shop::Shop;

use crate::balance::{change_reward, Decided};
use crate::codes::{self, Code};
use crate::error::{unavailable_into, Unavailable};
use crate::idempotency::Attempt;
use crate::ports::store::Rewards;
use crate::ports::{Shopify, ShopifyShop, Store};
use crate::refund::{self, RefundCommand, RefundError};
use crate::{access, Deps};

/// A status Appstle's clients set on a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeStatus {
    /// Used at a checkout Tally hears of no order from.
    Used,
    /// Left as it is, if it is unused (Tally gives no used code back: its points are spent).
    Unused,
    /// Ended by hand: its code stops working, a reservation is released.
    Expired,
    /// Taken back, as `rewards/{id}/refund` does.
    Refunded,
    /// Appstle's status for subscription discounts, which Tally does not have.
    SubscriptionActive,
}

/// Why a code's status was not read or set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DiscountError {
    #[error("No reward of this shop has the code {0}")]
    UnknownCode(String),
    #[error("The code's reward is {0}: it cannot be used")]
    NotUsable(RewardStatus),
    #[error("A reward that is {from} cannot be made {to:?}")]
    NotApplicable { from: RewardStatus, to: CodeStatus },
    #[error("SUBSCRIPTION_ACTIVE is for subscription discounts, which Tally does not make")]
    Unsupported,
    #[error(transparent)]
    Refund(#[from] RefundError),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(DiscountError);

/// The reward whose code this is: the customer's, when one is named.
async fn find<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer: Option<CustomerId>,
    code: &str,
) -> Result<Reward, DiscountError> {
    let store = deps.store.shop(&shop.domain);
    let unknown = || DiscountError::UnknownCode(code.to_string());
    let (owner, reward_id) = store.code_owner(code).await?.ok_or_else(unknown)?;
    if customer.is_some_and(|c| c != owner) {
        return Err(unknown());
    }
    store.reward(owner, reward_id).await?.ok_or_else(unknown)
}

/// The code's reward, if the code can be used now: unused, and not past its end.
pub async fn check<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer: CustomerId,
    code: &str,
) -> Result<Reward, DiscountError> {
    let reward = find(deps, shop, Some(customer), code).await?;
    let ended = reward.expire_date.is_some_and(|end| end <= deps.now());
    match (reward.status(), ended) {
        (RewardStatus::Unused, false) => Ok(reward),
        (RewardStatus::Unused, true) => Err(DiscountError::NotUsable(RewardStatus::Expired)),
        (other, _) => Err(DiscountError::NotUsable(other)),
    }
}

/// Sets the status of the code's reward; answers the reward as it then is.
pub async fn set_status<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer: Option<CustomerId>,
    code: &str,
    status: CodeStatus,
    attempt: &Attempt,
) -> Result<Reward, DiscountError> {
    let store = deps.store.shop(&shop.domain);
    if let Some(Effect::CodeStatus { customer_id, reward_id } | Effect::Refund { customer_id, reward_id }) =
        attempt.resume
    {
        return store.reward(customer_id, reward_id).await?.ok_or_else(|| DiscountError::UnknownCode(code.into()));
    }
    let reward = find(deps, shop, customer, code).await?;
    let effect = Effect::CodeStatus { customer_id: reward.customer_id, reward_id: reward.id };
    let not_applicable = |from| DiscountError::NotApplicable { from, to: status };
    let now = deps.now();
    match status {
        CodeStatus::SubscriptionActive => Err(DiscountError::Unsupported),
        CodeStatus::Unused if reward.status() == RewardStatus::Unused => Ok(reward),
        CodeStatus::Unused => Err(not_applicable(reward.status())),
        CodeStatus::Used => {
            match change_reward(&store, reward, now, attempt.recording(effect), |r| r.marked_used(now)).await? {
                Decided::Done(used) => Ok(used),
                Decided::Declined { current, .. } => Err(not_applicable(current.status())),
            }
        }
        CodeStatus::Refunded => {
            let command = RefundCommand {
                customer: CustomerRef::Id(reward.customer_id),
                reward_id: reward.id,
                reason: "refunded by the shop's update-discount".into(),
            };
            Ok(refund::refund(deps, shop, &command, attempt).await?.reward)
        }
        CodeStatus::Expired => {
            if reward.status() != RewardStatus::Unused {
                return Err(not_applicable(reward.status()));
            }
            // As the expiry job does: Shopify first, so that a working code never outlives its reward; a code
            // an order used is that order's to settle.
            let shopify = access::shopify(deps, shop, attempt.deadline);
            match codes::in_shopify(&shopify, &reward).await.map_err(Unavailable::shopify)? {
                Code::Used => return Err(not_applicable(RewardStatus::Used)),
                Code::Unused { id, active: true } => {
                    shopify.deactivate_discount(&id).await.map_err(Unavailable::shopify)?
                }
                Code::Absent | Code::Unused { active: false, .. } => {}
            }
            let return_points = shop.settings.return_points_on_expiry;
            let expired = change_reward(&store, reward, now, attempt.recording(effect), |r| r.expired(return_points));
            match expired.await? {
                Decided::Done(expired) => Ok(expired),
                Decided::Declined { current, .. } => Err(not_applicable(current.status())),
            }
        }
    }
}
