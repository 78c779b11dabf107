//! An operator's decision on a reward whose outcome in Shopify could not be known (store credit whose
//! answer was lost): it was issued, or it was not and its points go back.

use super::{now, Deps};
use crate::domain::error::TallyError;
use crate::domain::reward::Reward;

/// What the operator found in Shopify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Issued, as this Shopify transaction.
    Issued(String),
    NotIssued,
}

/// Why a decision cannot be taken.
#[derive(Debug, thiserror::Error)]
pub enum ReviewError {
    #[error("reward {0} is not awaiting review (it is {1})")]
    NotInReview(u64, crate::domain::reward::RewardStatus),
    #[error(transparent)]
    Tally(#[from] TallyError),
}

pub async fn resolve(
    deps: &Deps,
    domain: &str,
    customer_id: u64,
    reward_id: u64,
    decision: Decision,
) -> Result<Reward, ReviewError> {
    let store = &deps.store;
    let reward = store.reward(domain, customer_id, reward_id).await?;
    if reward.review_reason.is_none() || !reward.is_pending() {
        return Err(ReviewError::NotInReview(reward.id, reward.status));
    }
    let settled = match decision {
        Decision::Issued(shopify_id) => store.issue_reward(domain, &reward, &shopify_id, now()).await?,
        Decision::NotIssued => {
            store.fail_reward(domain, &reward, "an operator found it was not issued in Shopify", now()).await?
        }
    };
    Ok(settled)
}
