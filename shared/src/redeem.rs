//! A redemption, step by step: check, take the points with the reward `PENDING`, have Shopify issue it,
//! then record the outcome. If Shopify does not issue it, the points go back and the reward is `FAILED`.
//! A reward whose outcome is not known stays `PENDING` until it is settled (see `settle_pending`).

use std::time::Instant;

use serde::Serialize;

use crate::domain::customer::LoyaltyView;
use crate::domain::error::TallyError;
use crate::domain::now;
use crate::domain::redemption::{check, RedeemRequest};
use crate::domain::reward::{DeductionMode, Reward, RewardKind, RewardStatus};
use crate::domain::rule::RedeemRule;
use crate::domain::shop::Shop;
use crate::reconcile::DEFAULT_GRACE;
use crate::shopify::{discount_input, store_credit_input, DiscountMutation, ShopifyClient, ShopifyError};
use crate::store::Claim;
use crate::Deps;
use time::format_description::well_known::Rfc3339;

/// The customer's loyalty information with the reward just created.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Redeemed {
    #[serde(flatten)]
    pub loyalty: LoyaltyView,
    pub reward: Reward,
}

/// How Shopify's part ended.
enum Issue {
    Issued(String),
    Failed(String),
    /// Shopify may or may not have issued it.
    Unknown(String),
}

pub async fn redeem(
    deps: &Deps,
    shop: &Shop,
    request: &RedeemRequest,
    claim: Option<&Claim>,
) -> Result<Redeemed, TallyError> {
    let store = &deps.store;
    let rule = store.get_rule(&shop.domain, request.redeem_rule_id).await?;
    let customer = store.find_customer(&shop.domain, &request.customer).await?;
    let (_, variant) = check(&rule, &customer, request)?;
    let shopify = deps.shopify.for_shop(shop);
    let variant = match variant {
        Some(id) => Some((id, variant_price(&shopify, id).await?)),
        None => None,
    };
    let mode = if request.delay_points_deduction { DeductionMode::OnOrder } else { DeductionMode::Immediate };
    let reward = Reward::pending(shop, customer.customer_id, &rule, variant, mode);
    let (_, reward) = store.debit_for_reward(&shop.domain, customer, reward, &shop.code_prefix, claim).await?;
    tracing::info!(customer_id = reward.customer_id, rule_id = rule.id, reward_id = reward.id, "points taken");
    crash_point("after-debit");
    let reward = match issue(&shopify, &reward, &rule).await {
        Issue::Issued(shopify_id) => {
            crash_point("after-shopify");
            store.issue_reward(&shop.domain, &reward, &shopify_id).await?
        }
        Issue::Failed(reason) => store.fail_reward(&shop.domain, &reward, &reason).await?,
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

/// The answer to a retry of a redemption whose points were taken but whose answer was lost.
pub async fn resume(deps: &Deps, shop: &Shop, customer_id: u64, reward_id: u64) -> Result<Redeemed, TallyError> {
    let reward = deps.store.reward(&shop.domain, customer_id, reward_id).await?;
    let reward = if reward.is_pending() {
        let past_grace =
            time::OffsetDateTime::parse(&reward.create_at, &Rfc3339).is_ok_and(|t| t + DEFAULT_GRACE < now());
        settle_pending(deps, shop, &reward, past_grace).await?
    } else {
        reward
    };
    answer(deps, shop, reward).await
}

/// The response for a reward: the customer's loyalty with it, or `SHOPIFY_UNAVAILABLE` when it failed.
async fn answer(deps: &Deps, shop: &Shop, reward: Reward) -> Result<Redeemed, TallyError> {
    if reward.status == RewardStatus::Failed {
        let reason = reward.failure_reason.as_deref().unwrap_or("no reason given");
        return Err(TallyError::ShopifyUnavailable(format!("Shopify did not create the reward ({reason})")));
    }
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, reward.customer_id)
        .await?
        .ok_or_else(|| TallyError::CustomerNotFound(reward.customer_id.to_string()))?;
    Ok(Redeemed { loyalty: LoyaltyView::new(customer, rewards, &shop.currency), reward })
}

/// Settles a `PENDING` reward from what Shopify holds: the code exists, so the reward is `UNUSED`; it does
/// not, so the points go back and the reward is `FAILED` (only `past_grace`: before then, a create whose
/// answer was lost may still land). Store credit cannot be looked up that way and is never sent twice: it
/// is marked for review. When Shopify cannot be asked, the reward stays pending.
pub async fn settle_pending(deps: &Deps, shop: &Shop, reward: &Reward, past_grace: bool) -> Result<Reward, TallyError> {
    let store = &deps.store;
    let Some(code) = reward.discount_code.as_deref() else {
        let reason = "the store credit was sent but not confirmed; check the customer's store credit in Shopify";
        tracing::error!(reward_id = reward.id, "store credit outcome unknown; marked for review");
        return store.mark_for_review(&shop.domain, reward, reason).await;
    };
    match deps.shopify.for_shop(shop).find_discount(code).await {
        Ok(Some(id)) => store.issue_reward(&shop.domain, reward, &id).await,
        Ok(None) if past_grace => {
            store.fail_reward(&shop.domain, reward, "the discount was never created in Shopify").await
        }
        Ok(None) => Ok(reward.clone()),
        Err(e) => {
            tracing::warn!(reward_id = reward.id, error = %e, "could not look the code up; the reward stays pending");
            Ok(reward.clone())
        }
    }
}

async fn variant_price(shopify: &ShopifyClient<'_>, variant_id: u64) -> Result<rust_decimal::Decimal, TallyError> {
    match shopify.variant_price(variant_id).await {
        Ok(Some(price)) => {
            price.parse().map_err(|_| TallyError::ShopifyUnavailable(format!("variant price {price:?}")))
        }
        Ok(None) => Err(TallyError::VariantNotFound(variant_id)),
        Err(e) => Err(TallyError::ShopifyUnavailable(format!("could not read the variant's price ({e})"))),
    }
}

async fn issue(shopify: &ShopifyClient<'_>, reward: &Reward, rule: &RedeemRule) -> Issue {
    if let Some(discount) = discount_input(reward, rule) {
        return create_discount(shopify, &discount, reward.discount_code.as_deref().unwrap_or_default()).await;
    }
    let Some(input) = store_credit_input(reward) else {
        return Issue::Failed("the rule has no amount to credit".into());
    };
    // Store credit takes no idempotency key: one attempt, and an unknown outcome is never retried.
    match shopify.credit_store_credit(reward.customer_id, input).await {
        Ok(id) => Issue::Issued(id),
        Err(ShopifyError::Unknown(reason)) => Issue::Unknown(reason),
        Err(e) => Issue::Failed(e.to_string()),
    }
}

/// Creates the discount with the code chosen beforehand. Retrying is safe: if an earlier attempt went
/// through, Shopify answers `TAKEN` and the lookup finds our discount. Once an attempt's answer was
/// lost, that attempt may still land later, so the reward is never failed here: it stays pending and is
/// settled by lookup after the grace period.
async fn create_discount(shopify: &ShopifyClient<'_>, discount: &DiscountMutation, code: &str) -> Issue {
    let deadline = Instant::now() + shopify.budget();
    let mut lost: Option<String> = None;
    loop {
        match shopify.create_discount(discount).await {
            Ok(id) => return Issue::Issued(id),
            Err(ShopifyError::Taken) => {}
            Err(ShopifyError::Unknown(reason)) => lost = Some(reason),
            Err(e) => return lost.map_or_else(|| Issue::Failed(e.to_string()), Issue::Unknown),
        }
        match shopify.find_discount(code).await {
            Ok(Some(id)) => return Issue::Issued(id),
            _ if Instant::now() >= deadline => {
                return lost.map_or_else(
                    || Issue::Failed("the code is taken by a discount Shopify cannot find".into()),
                    Issue::Unknown,
                )
            }
            Ok(None) => tracing::info!("the discount was not created; trying again"),
            Err(e) => tracing::info!(%e, "lookup after a lost answer failed; trying again"),
        }
    }
}

/// Aborts the process at a named point when `TALLY_CRASH_AT` names it, to prove that a Lambda dying
/// there loses nothing. Honoured only against DynamoDB Local (`DYNAMODB_ENDPOINT` set), never in AWS.
fn crash_point(name: &str) {
    if std::env::var("TALLY_CRASH_AT").is_ok_and(|at| at == name) && std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        tracing::error!(crash_point = name, "aborting, as TALLY_CRASH_AT asks");
        std::process::abort();
    }
}
