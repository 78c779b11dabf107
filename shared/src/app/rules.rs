//! Redemption rules: created, replaced and deleted by the shop, listed for its customers.

use super::idempotency::Attempt;
use super::Deps;
use crate::domain::customer::CustomerRef;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::redemption::{self, RedeemOption};
use crate::domain::rule::{RedeemRule, RuleDraft, RuleStatus};
use crate::domain::shop::Shop;

pub async fn create(deps: &Deps, shop: &Shop, draft: RuleDraft, attempt: &Attempt) -> Result<RedeemRule, TallyError> {
    let rule = match attempt.resume {
        Some(Effect::Rule { id }) => deps.store.get_rule(&shop.domain, id).await?,
        _ => deps.store.create_rule(&shop.domain, draft, attempt.claim.as_ref()).await?,
    };
    tracing::info!(rule_id = rule.id, "rule created");
    Ok(rule)
}

/// Replaces rule `id`, keeping its id; rewards already given keep their terms.
pub async fn replace(
    deps: &Deps,
    shop: &Shop,
    id: u64,
    draft: RuleDraft,
    attempt: &Attempt,
) -> Result<RedeemRule, TallyError> {
    let rule = match attempt.resume {
        Some(Effect::Rule { id }) => deps.store.get_rule(&shop.domain, id).await?,
        _ => deps.store.replace_rule(&shop.domain, id, draft, attempt.claim.as_ref()).await?,
    };
    tracing::info!(rule_id = rule.id, "rule replaced");
    Ok(rule)
}

/// Deletes rule `id`: it can no longer be redeemed, and its id is never reused. Returns the id.
pub async fn delete(deps: &Deps, shop: &Shop, id: u64, attempt: &Attempt) -> Result<u64, TallyError> {
    let id = match attempt.resume {
        Some(Effect::RuleDeleted { id }) => id,
        _ => {
            deps.store.delete_rule(&shop.domain, id, attempt.claim.as_ref()).await?;
            id
        }
    };
    tracing::info!(rule_id = id, "rule deleted");
    Ok(id)
}

/// The rules a customer may redeem: the active ones, oldest first.
pub async fn active(deps: &Deps, shop: &Shop) -> Result<Vec<RedeemRule>, TallyError> {
    let mut rules = deps.store.list_rules(&shop.domain).await?;
    rules.retain(|rule| rule.status == RuleStatus::Active);
    Ok(rules)
}

/// The shop's active rules as one customer's options: which they can take now, and why not the others.
pub async fn options(deps: &Deps, shop: &Shop, customer_id: u64) -> Result<Vec<RedeemOption>, TallyError> {
    let who = CustomerRef::Id(customer_id);
    let (customer, rules) = tokio::try_join!(deps.store.find_customer(&shop.domain, &who), active(deps, shop))?;
    Ok(redemption::options(&customer, rules))
}
