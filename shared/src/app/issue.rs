//! Shopify's part of a redemption: the discount code or the store credit that is the reward.

use std::time::Instant;

use crate::domain::reward::Reward;
use crate::domain::rule::RedeemRule;
use crate::shopify::{discount_input, store_credit_input, DiscountMutation, ShopifyClient, ShopifyError};

/// How Shopify's part ended.
pub(crate) enum Issue {
    /// Issued; Shopify's id of the discount or the credit transaction.
    Issued(String),
    Failed(String),
    /// Shopify may or may not have issued it.
    Unknown(String),
}

pub(crate) async fn issue(shopify: &ShopifyClient<'_>, reward: &Reward, rule: &RedeemRule) -> Issue {
    if let Some(discount) = discount_input(reward, rule) {
        return create_discount(shopify, &discount, reward.discount_code.as_deref().unwrap_or_default()).await;
    }
    let Some(input) = store_credit_input(reward) else {
        return Issue::Failed("the rule has no amount to credit".into());
    };
    // Store credit takes no idempotency key: one attempt, and an unknown outcome is never retried.
    match shopify.credit_store_credit(reward.customer_id, &input).await {
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
    let deadline = shopify.deadline();
    let mut lost: Option<String> = None;
    loop {
        match shopify.create_discount(discount).await {
            Ok(id) => return Issue::Issued(id),
            Err(ShopifyError::Taken) => {}
            Err(ShopifyError::Unknown(reason)) => lost = Some(reason),
            Err(e) => return lost.map_or_else(|| Issue::Failed(e.to_string()), Issue::Unknown),
        }
        match shopify.find_discount(code).await {
            Ok(Some(found)) => return Issue::Issued(found.id),
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
