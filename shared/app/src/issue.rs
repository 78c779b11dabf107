//! Shopify's part of a redemption: the discount code or the store credit that is the reward, then its
//! outcome recorded on the reward.

use std::time::Instant;

use tally_domain::reward::{FailureReason, Issuance, ReviewReason, Reward};
use tally_domain::rule::RedeemRule;
use tally_domain::Time;

use crate::balance::{change_reward, plain, Decided};
use crate::error::Unavailable;
use crate::ports::shopify::ShopifyShop;
use crate::ports::ShopStore;
use crate::ports::ShopifyError;

/// How Shopify's part ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Issue {
    /// Issued; Shopify's id of the discount or the credit transaction.
    Issued(String),
    Failed(FailureReason),
    /// Shopify may or may not have issued it.
    Unknown,
}

pub(crate) async fn issue(shopify: &impl ShopifyShop, reward: &Reward, rule: &RedeemRule) -> Issue {
    match reward.issuance(rule) {
        Issuance::Discount(discount) => create_discount(shopify, &discount).await,
        Issuance::Impossible(reason) => Issue::Failed(reason),
        // Store credit takes no idempotency key: one attempt, and an unknown outcome is never retried.
        Issuance::StoreCredit(credit) => match shopify.credit_store_credit(&credit).await {
            Ok(id) => Issue::Issued(id),
            Err(e) => outcome_of(&e, false),
        },
    }
}

/// What a failed call says about the reward: refused or unreachable (nothing done), or unknown.
fn outcome_of(e: &ShopifyError, lost_before: bool) -> Issue {
    tracing::warn!(error = %e, "Shopify did not issue the reward");
    match e {
        _ if lost_before => Issue::Unknown,
        ShopifyError::Unknown(_) => Issue::Unknown,
        ShopifyError::Unavailable(_) => Issue::Failed(FailureReason::ShopifyUnavailable),
        ShopifyError::Refused(_) | ShopifyError::Taken => Issue::Failed(FailureReason::ShopifyRefused),
    }
}

/// Creates the discount with the code chosen beforehand. Retrying is safe: if an earlier attempt went
/// through, Shopify answers `TAKEN` and the lookup finds our discount. Once an attempt's answer was
/// lost, that attempt may still land later, so the reward is never failed here: it stays pending and is
/// settled by lookup after the grace period.
async fn create_discount(shopify: &impl ShopifyShop, discount: &tally_domain::reward::DiscountSpec) -> Issue {
    let deadline = shopify.deadline();
    let mut lost = false;
    loop {
        match shopify.create_discount(discount).await {
            Ok(id) => return Issue::Issued(id),
            Err(ShopifyError::Taken) => {}
            Err(ShopifyError::Unknown(reason)) => {
                tracing::warn!(%reason, "Shopify's answer was lost; looking the code up");
                lost = true;
            }
            Err(e) => return outcome_of(&e, lost),
        }
        match shopify.find_discount(&discount.code).await {
            Ok(Some(found)) => return Issue::Issued(found.id),
            _ if Instant::now() >= deadline => {
                return if lost { Issue::Unknown } else { Issue::Failed(FailureReason::CodeTaken) };
            }
            Ok(None) => tracing::info!("the discount was not created; trying again"),
            Err(e) => tracing::info!(%e, "lookup after a lost answer failed; trying again"),
        }
    }
}

/// Records what Shopify did on the reward: issued (`UNUSED`, or `USED` for delivered store credit), failed
/// (its points back), held for an operator (store credit whose answer was lost), or left pending. A reward
/// settled meanwhile is left as it is, and returned as it now is.
pub(crate) async fn record(
    store: &impl ShopStore,
    reward: Reward,
    issue: Issue,
    at: Time,
) -> Result<Reward, Unavailable> {
    let decided = match issue {
        Issue::Issued(shopify_id) => {
            crate::crash_point("after-shopify");
            change_reward(store, reward, at, plain, |r| r.issued(&shopify_id, at)).await?
        }
        Issue::Failed(reason) => change_reward(store, reward, at, plain, |r| r.failed(reason)).await?,
        Issue::Unknown if reward.discount_code.is_none() => {
            // Crediting again could credit twice: an operator decides (see the README).
            tracing::error!(reward_id = %reward.id, "store credit outcome unknown; held for review");
            let reason = ReviewReason::StoreCreditUnconfirmed;
            change_reward(store, reward, at, plain, |r| r.held_for_review(reason)).await?
        }
        Issue::Unknown => {
            tracing::warn!(reward_id = %reward.id, "Shopify's outcome unknown; the reward stays pending");
            return Ok(reward);
        }
    };
    Ok(match decided {
        Decided::Done(reward) | Decided::Declined { current: reward, .. } => reward,
    })
}
