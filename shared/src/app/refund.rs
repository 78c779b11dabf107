//! The shop takes an unused reward back. Its code stops working in Shopify first; then, in one
//! transaction, the reward becomes `REFUNDED` and its points come back (or its reservation is released).
//! A code that still works never outlives its reward.

use std::time::Duration;

use super::codes::{self, Code};
use super::idempotency::Attempt;
use super::redeem::Redeemed;
use super::{crash_point, loyalty, now, Deps};
use crate::domain::customer::CustomerRef;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::reward::{NotRefundable, Reward};
use crate::domain::shop::Shop;
use crate::shopify::ShopifyError;

/// Why a reward is taken back when the shop gives no reason.
pub const DEFAULT_REASON: &str = "refunded unused";

/// The shop's request to take a reward back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundCommand {
    /// The reward's customer: a reward is kept under its customer.
    pub customer: CustomerRef,
    pub reward_id: u64,
    pub reason: String,
}

/// Refunds the customer's reward; answers with the customer's loyalty and the reward as it now is.
pub async fn refund(
    deps: &Deps,
    shop: &Shop,
    command: &RefundCommand,
    attempt: &Attempt,
) -> Result<Redeemed, TallyError> {
    let reward = match attempt.resume {
        Some(Effect::Refund { customer_id, reward_id }) => {
            deps.store.reward(&shop.domain, customer_id, reward_id).await?
        }
        _ => take_back(deps, shop, command, attempt).await?,
    };
    Ok(Redeemed { loyalty: loyalty::of(deps, shop, reward.customer_id).await?, reward })
}

async fn take_back(deps: &Deps, shop: &Shop, command: &RefundCommand, attempt: &Attempt) -> Result<Reward, TallyError> {
    let store = &deps.store;
    let customer = store.find_customer(&shop.domain, &command.customer).await?;
    let reward_id = command.reward_id;
    let reward = store.reward(&shop.domain, customer.customer_id, reward_id).await?;
    let refused = |why| TallyError::RewardNotRefundable { reward_id, why };
    reward.refundable(Some(now())).map_err(refused)?;
    let shopify = super::access::shopify(deps, shop).until(attempt.deadline);
    let code = codes::in_shopify(&shopify, &reward).await.map_err(|e| TallyError::ShopifyNotReverted(e.into()))?;
    if code == Code::Used {
        return Err(refused(NotRefundable::CodeUsed));
    }
    // Written before the code is touched, so that a refund that stops halfway is found and finished.
    let requested = now();
    if !store.begin_refund(&shop.domain, &reward, &command.reason, requested, requested - IN_FLIGHT).await? {
        return Err(raced(deps, shop, &reward).await);
    }
    if let Code::Unused { id, active: true } = &code {
        if let Err(e) = shopify.deactivate_discount(id).await {
            // Shopify surely did nothing: the request is taken back. Its answer was lost: Shopify may have
            // deactivated the code, so reconciliation decides from what Shopify holds.
            if !matches!(e, ShopifyError::Unknown(_)) {
                if let Err(abandon) = store.abandon_refund(&shop.domain, &reward, requested).await {
                    tracing::warn!(reward_id, error = %abandon, "could not take the refund back; reconcile will");
                }
            }
            return Err(TallyError::ShopifyNotReverted(e.into()));
        }
    }
    crash_point("refund-after-shopify");
    if !store.refund_reward(&shop.domain, &reward, &command.reason, attempt.claim.as_ref(), now()).await? {
        return Err(raced(deps, shop, &reward).await);
    }
    let refunded = store.reward(&shop.domain, customer.customer_id, reward_id).await?;
    tracing::info!(customer_id = refunded.customer_id, reward_id, points = refunded.points_redeemed, "reward refunded");
    Ok(refunded)
}

/// The answer when the reward changed under the refund: an order used it, another refund won, or another
/// refund of it is under way (try again shortly).
async fn raced(deps: &Deps, shop: &Shop, reward: &Reward) -> TallyError {
    match deps.store.reward(&shop.domain, reward.customer_id, reward.id).await {
        Ok(current) => match current.refundable(None) {
            Err(why) => TallyError::RewardNotRefundable { reward_id: reward.id, why },
            Ok(()) => TallyError::Busy,
        },
        Err(e) => e,
    }
}

/// How long a refund may still be running: twice the longest a function runs. A request older than this
/// was left by a refund that died; reconciliation settles it, and another refund may take it over.
pub const IN_FLIGHT: Duration = Duration::from_secs(30);
