//! An operator's decision on a reward whose outcome in Shopify could not be known (store credit whose
//! answer was lost): it was issued, or it was not and its points go back.

use tally_domain::error::Missing;
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::reward::{FailureReason, Reward, RewardStatus};
use tally_domain::shop::ShopDomain;

use crate::error::Unavailable;
use crate::issue::{record, Issue};
use crate::ports::store::{Listings, Rewards};
use crate::ports::Store;
use crate::Deps;

/// What the operator found in Shopify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Issued, as this Shopify transaction.
    Issued(String),
    NotIssued,
}

/// Why a decision cannot be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReviewError {
    #[error("reward {0} is not awaiting review (it is {1})")]
    NotInReview(RewardId, RewardStatus),
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// The shop's rewards waiting for an operator.
pub async fn waiting<S: Store, H>(deps: &Deps<S, H>, domain: &ShopDomain) -> Result<Vec<Reward>, Unavailable> {
    Ok(deps.store.shop(domain).in_review().await?)
}

pub async fn resolve<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    customer_id: CustomerId,
    reward_id: RewardId,
    decision: Decision,
) -> Result<Reward, ReviewError> {
    let store = deps.store.shop(domain);
    let reward = store.reward(customer_id, reward_id).await.map_err(Unavailable::from)?;
    let reward = reward.ok_or(Missing::Reward(reward_id))?;
    if reward.review_reason().is_none() || !reward.is_pending() {
        return Err(ReviewError::NotInReview(reward.id, reward.status()));
    }
    let issue = match decision {
        Decision::Issued(shopify_id) => Issue::Issued(shopify_id),
        Decision::NotIssued => Issue::Failed(FailureReason::NotIssued),
    };
    Ok(record(&store, reward, issue, deps.now()).await?)
}
