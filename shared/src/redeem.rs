//! A redemption, step by step: check, take the points with the reward `PENDING`, have Shopify issue it,
//! then record the outcome. If Shopify does not issue it, the points go back and the reward is `FAILED`.

use std::time::Instant;

use serde::Serialize;

use crate::domain::customer::LoyaltyView;
use crate::domain::error::TallyError;
use crate::domain::redemption::{check, RedeemRequest};
use crate::domain::reward::Reward;
use crate::domain::rule::RedeemRule;
use crate::domain::shop::Shop;
use crate::shopify::{
    discount_input, store_credit_input, DiscountMutation, ShopifyClient, ShopifyError,
};
use crate::Deps;

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
    /// Shopify may or may not have issued it; the reward stays `PENDING` and its points held.
    Unknown(String),
}

pub async fn redeem(
    deps: &Deps,
    shop: &Shop,
    request: &RedeemRequest,
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
    let customer_id = customer.customer_id;
    let reward = Reward::pending(shop, customer_id, &rule, variant);
    let (_, reward) = store
        .debit_for_reward(&shop.domain, customer, reward, &shop.code_prefix)
        .await?;
    tracing::info!(shop = %shop.domain, customer_id, rule_id = rule.id, reward_id = reward.id, "points taken");
    let reward = match issue(&shopify, &reward, &rule).await {
        Issue::Issued(shopify_id) => {
            store
                .issue_reward(&shop.domain, &reward, &shopify_id)
                .await?
        }
        Issue::Failed(reason) => {
            tracing::warn!(shop = %shop.domain, reward_id = reward.id, %reason, "Shopify did not issue the reward");
            store.fail_reward(&shop.domain, &reward, &reason).await?;
            return Err(TallyError::ShopifyUnavailable(format!(
                "Shopify did not create the reward ({reason})"
            )));
        }
        Issue::Unknown(reason) => {
            tracing::warn!(shop = %shop.domain, reward_id = reward.id, %reason, "Shopify's outcome unknown; reward stays pending");
            reward
        }
    };
    let (customer, rewards) = store
        .loyalty(&shop.domain, customer_id)
        .await?
        .ok_or_else(|| TallyError::CustomerNotFound(customer_id.to_string()))?;
    Ok(Redeemed {
        loyalty: LoyaltyView::new(customer, rewards, &shop.currency),
        reward,
    })
}

async fn variant_price(
    shopify: &ShopifyClient<'_>,
    variant_id: u64,
) -> Result<rust_decimal::Decimal, TallyError> {
    match shopify.variant_price(variant_id).await {
        Ok(Some(price)) => price
            .parse()
            .map_err(|_| TallyError::ShopifyUnavailable(format!("variant price {price:?}"))),
        Ok(None) => Err(TallyError::VariantNotFound(variant_id)),
        Err(e) => Err(TallyError::ShopifyUnavailable(format!(
            "could not read the variant's price ({e})"
        ))),
    }
}

async fn issue(shopify: &ShopifyClient<'_>, reward: &Reward, rule: &RedeemRule) -> Issue {
    if let Some(discount) = discount_input(reward, rule) {
        return create_discount(
            shopify,
            &discount,
            reward.discount_code.as_deref().unwrap_or_default(),
        )
        .await;
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
/// through, Shopify answers `TAKEN` and the lookup finds our discount.
async fn create_discount(
    shopify: &ShopifyClient<'_>,
    discount: &DiscountMutation,
    code: &str,
) -> Issue {
    let deadline = Instant::now() + shopify.budget();
    loop {
        let (lost, taken) = match shopify.create_discount(discount).await {
            Ok(id) => return Issue::Issued(id),
            Err(ShopifyError::Taken) => ("the code was taken".to_string(), true),
            Err(ShopifyError::Unknown(reason)) => (reason, false),
            Err(e) => return Issue::Failed(e.to_string()),
        };
        match shopify.find_discount(code).await {
            Ok(Some(id)) => return Issue::Issued(id),
            Ok(None) if taken || Instant::now() >= deadline => return Issue::Failed(lost),
            Ok(None) => tracing::info!(%lost, "the discount was not created; trying again"),
            Err(e) if Instant::now() < deadline => {
                tracing::info!(%e, "lookup after a lost answer failed")
            }
            Err(_) => return Issue::Unknown(lost),
        }
    }
}
