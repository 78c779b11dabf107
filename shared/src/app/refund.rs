//! The shop takes an unused reward back. Its code stops working in Shopify first; then, in one
//! transaction, the reward becomes `REFUNDED` and its points come back (or its reservation is released).
//! A code that still works never outlives its reward.

use super::idempotency::Attempt;
use super::redeem::Redeemed;
use super::{loyalty, now, Deps};
use crate::domain::customer::CustomerRef;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::reward::Reward;
use crate::domain::shop::Shop;

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
    reward.refundable(Some(now())).map_err(|why| TallyError::RewardNotRefundable { reward_id, why })?;
    if let Some(id) = &reward.discount_code_id {
        // Deactivating twice is harmless, so a retry after a failure below simply runs again.
        let deactivated = deps.shopify.for_shop(shop).deactivate_discount(id).await;
        deactivated.map_err(|e| TallyError::ShopifyNotReverted(e.into()))?;
    }
    let claim = attempt.claim.as_ref();
    if !store.refund_reward(&shop.domain, &reward, &command.reason, claim, now()).await? {
        // An order used it (or another refund won) between the read and now.
        let current = store.reward(&shop.domain, customer.customer_id, reward_id).await?;
        return Err(match current.refundable(None) {
            Err(why) => TallyError::RewardNotRefundable { reward_id, why },
            Ok(()) => TallyError::Busy,
        });
    }
    let refunded = store.reward(&shop.domain, customer.customer_id, reward_id).await?;
    tracing::info!(customer_id = refunded.customer_id, reward_id, points = refunded.points_redeemed, "reward refunded");
    Ok(refunded)
}
