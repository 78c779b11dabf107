//! Settling a reward left `PENDING` from what Shopify holds: by the retry of a redemption whose answer was
//! lost, and by reconciliation.

use std::time::{Duration, Instant};

use super::{now, Deps};
use crate::domain::error::TallyError;
use crate::domain::reward::Reward;
use crate::domain::shop::Shop;

/// Longer than any redemption runs (the functions time out at 15 s), so that none is settled under it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(120);

/// The code exists in Shopify, so the reward is `UNUSED`; it does not, so the points go back and the reward
/// is `FAILED` (only `past_grace`: before then, a create whose answer was lost may still land). Store credit
/// cannot be looked up that way and is never sent twice: it is marked for review. When Shopify cannot be
/// asked, the reward stays pending.
pub async fn settle_pending(
    deps: &Deps,
    shop: &Shop,
    reward: &Reward,
    past_grace: bool,
    deadline: Option<Instant>,
) -> Result<Reward, TallyError> {
    let store = &deps.store;
    let Some(code) = reward.discount_code.as_deref() else {
        let reason = "the store credit was sent but not confirmed; check the customer's store credit in Shopify";
        tracing::error!(reward_id = reward.id, "store credit outcome unknown; marked for review");
        return store.mark_for_review(&shop.domain, reward, reason).await;
    };
    match super::access::shopify(deps, shop).until(deadline).find_discount(code).await {
        Ok(Some(found)) => store.issue_reward(&shop.domain, reward, &found.id, now()).await,
        Ok(None) if past_grace => {
            store.fail_reward(&shop.domain, reward, "the discount was never created in Shopify", now()).await
        }
        Ok(None) => Ok(reward.clone()),
        Err(e) => {
            tracing::warn!(reward_id = reward.id, error = %e, "could not look the code up; the reward stays pending");
            Ok(reward.clone())
        }
    }
}

/// Whether the reward is past the grace period now.
pub fn past_grace(reward: &Reward) -> bool {
    reward.create_at + DEFAULT_GRACE < now()
}
