//! A redemption, step by step: check, take the points with the reward `PENDING`, have Shopify issue it,
//! then record the outcome. If Shopify does not issue it, the points go back and the reward is `FAILED`.
//! A reward whose outcome is not known stays `PENDING` until it is settled (`settle`).

use super::idempotency::Attempt;
use super::issue::{issue, Issue};
use super::settle::{past_grace, settle_pending};
use super::{crash_point, loyalty, now, Deps};
use crate::domain::effect::Effect;
use crate::domain::error::{TallyError, Unavailable};
use crate::domain::loyalty::Loyalty;
use crate::domain::redemption::{check, RedeemCommand};
use crate::domain::reward::{DeductionMode, Reward, RewardKind, RewardStatus};
use crate::domain::shop::Shop;

/// The customer's loyalty information with the reward just created (or refunded).
#[derive(Debug, Clone, PartialEq)]
pub struct Redeemed {
    pub loyalty: Loyalty,
    pub reward: Reward,
}

/// Redeems, or answers the retry of a redemption whose points were taken but whose answer was lost.
pub async fn redeem(
    deps: &Deps,
    shop: &Shop,
    command: &RedeemCommand,
    attempt: &Attempt,
) -> Result<Redeemed, TallyError> {
    if let Some(Effect::Reward { customer_id, reward_id }) = attempt.resume {
        return resume(deps, shop, customer_id, reward_id, attempt).await;
    }
    let store = &deps.store;
    let rule = store.get_rule(&shop.domain, command.redeem_rule_id).await?;
    let customer = store.find_customer(&shop.domain, &command.customer).await?;
    let priced = check(&rule, &customer, command)?;
    let shopify = super::access::shopify(deps, shop).until(attempt.deadline);
    let variant_price = match priced.variant {
        Some(id) => match shopify.variant_price(id).await {
            Ok(Some(price)) => Some(price),
            Ok(None) => return Err(TallyError::VariantNotFound(id)),
            Err(e) => return Err(Unavailable::VariantPrice(e.into()).into()),
        },
        None => None,
    };
    let mode = if command.delay_points_deduction { DeductionMode::OnOrder } else { DeductionMode::Immediate };
    let reward = Reward::pending(shop, customer.customer_id, &rule, &priced, variant_price, mode, now());
    let claim = attempt.claim.as_ref();
    let (_, reward) = store.debit_for_reward(&shop.domain, customer, reward, &shop.code_prefix, claim).await?;
    tracing::info!(customer_id = reward.customer_id, rule_id = rule.id, reward_id = reward.id, "points taken");
    crash_point("after-debit");
    let reward = match issue(&shopify, &reward, &rule).await {
        Issue::Issued(shopify_id) => {
            crash_point("after-shopify");
            store.issue_reward(&shop.domain, &reward, &shopify_id, now()).await?
        }
        Issue::Failed(reason) => store.fail_reward(&shop.domain, &reward, &reason, now()).await?,
        Issue::Unknown(reason) if reward.reward_type == RewardKind::StoreCredit => {
            // Crediting again could credit twice: an operator decides (see the README).
            tracing::error!(reward_id = reward.id, %reason, "store credit outcome unknown; marked for review");
            store.mark_for_review(&shop.domain, &reward, &format!("Shopify's answer was lost: {reason}")).await?
        }
        Issue::Unknown(reason) => {
            tracing::warn!(reward_id = reward.id, %reason, "Shopify's outcome unknown; reward stays pending");
            reward
        }
    };
    answer(deps, shop, reward).await
}

async fn resume(
    deps: &Deps,
    shop: &Shop,
    customer_id: u64,
    reward_id: u64,
    attempt: &Attempt,
) -> Result<Redeemed, TallyError> {
    let reward = deps.store.reward(&shop.domain, customer_id, reward_id).await?;
    let reward = match reward.is_pending() {
        true => settle_pending(deps, shop, &reward, past_grace(&reward), attempt.deadline).await?,
        false => reward,
    };
    answer(deps, shop, reward).await
}

/// The customer's loyalty with the reward, or `SHOPIFY_UNAVAILABLE` when it failed.
async fn answer(deps: &Deps, shop: &Shop, reward: Reward) -> Result<Redeemed, TallyError> {
    if reward.status == RewardStatus::Failed {
        let reason = reward.failure_reason.clone().unwrap_or_else(|| "no reason given".into());
        return Err(Unavailable::NotIssued(reason).into());
    }
    Ok(Redeemed { loyalty: loyalty::of(deps, shop, reward.customer_id).await?, reward })
}
