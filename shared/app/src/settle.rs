//! Settling a reward left `PENDING` from what Shopify holds: by the retry of a redemption whose answer was
//! lost, and by reconciliation.

use std::time::{Duration, Instant};

use tally_domain::reward::{FailureReason, Reward};
use tally_domain::shop::Shop;
use tally_domain::Time;

use crate::error::Unavailable;
use crate::issue::{record, Issue};
use crate::ports::{Shopify, ShopifyShop, Store};
use crate::{access, Deps};

/// Longer than any redemption runs (the functions time out at 15 s), so that none is settled under it.
pub const DEFAULT_GRACE: Duration = Duration::from_secs(120);

/// The code exists in Shopify, so the reward is `UNUSED`; it does not, so the points go back and the reward
/// is `FAILED` (only `past_grace`: before then, a create whose answer was lost may still land). Store credit
/// cannot be looked up that way and is never sent twice: it is held for an operator. When Shopify cannot
/// be asked, the reward stays pending.
pub async fn settle_pending<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    past_grace: bool,
    deadline: Option<Instant>,
) -> Result<Reward, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let Some(code) = reward.discount_code.clone() else {
        if reward.review_reason().is_some() {
            return Ok(reward);
        }
        return record(&store, reward, Issue::Unknown, deps.now()).await;
    };
    let issue = match access::shopify(deps, shop, deadline).find_discount(&code).await {
        Ok(Some(found)) => Issue::Issued(found.id),
        Ok(None) if past_grace => Issue::Failed(FailureReason::NeverCreated),
        Ok(None) => return Ok(reward),
        Err(e) => {
            tracing::warn!(reward_id = %reward.id, error = %e, "could not look the code up; the reward stays pending");
            return Ok(reward);
        }
    };
    record(&store, reward, issue, deps.now()).await
}

/// Whether the reward is past the grace period at `now`.
pub fn past_grace(reward: &Reward, now: Time) -> bool {
    reward.create_at + DEFAULT_GRACE < now
}
