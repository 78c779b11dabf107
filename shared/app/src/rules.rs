//! Redemption rules: created, replaced and deleted by the shop, listed for its customers.

use tally_domain::customer::CustomerRef;
use tally_domain::effect::Effect;
use tally_domain::error::Missing;
use tally_domain::ids::{CustomerId, RuleId};
use tally_domain::redemption::{self, RedeemOption};
use tally_domain::rule::{RedeemRule, RuleAlias, RuleDraft, RuleError, RuleStatus};
use tally_domain::shop::Shop;

use crate::error::{unavailable_into, ReadError, Unavailable};
use crate::idempotency::Attempt;
use crate::ports::store::{Rules, ShopRecords, Writes};
use crate::ports::write::RuleWrite;
use crate::ports::{Committed, Rejection, Store, Write};
use crate::{loyalty, Deps};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RulesError {
    #[error(transparent)]
    Invalid(#[from] RuleError),
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(RulesError);

/// The rule an import gave `alias` (another program's id for it, such as Mage's `reward_abc`).
pub async fn by_alias<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, alias: RuleAlias) -> Result<RuleId, RulesError> {
    let found = deps.store.shop(&shop.domain).rule_by_alias(&alias).await?;
    found.ok_or(RulesError::Missing(Missing::RuleAlias(alias)))
}

/// Creates a rule under the shop's next id (ids are integers, as in Appstle).
pub async fn create<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    draft: RuleDraft,
    attempt: &Attempt,
) -> Result<RedeemRule, RulesError> {
    let store = deps.store.shop(&shop.domain);
    if let Some(Effect::Rule { id }) = attempt.resume {
        return store.rule(id).await?.ok_or(RulesError::Missing(Missing::Rule(id)));
    }
    // Checked before an id is taken, so that a bad request changes nothing.
    draft.check()?;
    let id = store.next_rule_id().await?.ok_or_else(|| Missing::Shop(shop.domain.clone()))?;
    let rule = draft.into_rule(id)?;
    // A rule already under the new id would be a counter gone back: nothing to tell the client but to
    // try again.
    write(deps, shop, RuleWrite::Create(rule.clone()), Effect::Rule { id }, attempt, Unavailable::Busy.into()).await?;
    tracing::info!(rule_id = %id, "rule created");
    Ok(rule)
}

/// Replaces rule `id`, keeping its id; rewards already given keep their terms.
pub async fn replace<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    id: RuleId,
    draft: RuleDraft,
    attempt: &Attempt,
) -> Result<RedeemRule, RulesError> {
    if let Some(Effect::Rule { id }) = attempt.resume {
        return deps.store.shop(&shop.domain).rule(id).await?.ok_or(RulesError::Missing(Missing::Rule(id)));
    }
    let rule = draft.into_rule(id)?;
    write(deps, shop, RuleWrite::Replace(rule.clone()), Effect::Rule { id }, attempt, Missing::Rule(id).into()).await?;
    tracing::info!(rule_id = %id, "rule replaced");
    Ok(rule)
}

/// Deletes rule `id`: it can no longer be redeemed, and its id is never reused. Returns the id.
pub async fn delete<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    id: RuleId,
    attempt: &Attempt,
) -> Result<RuleId, RulesError> {
    if let Some(Effect::RuleDeleted { id }) = attempt.resume {
        return Ok(id);
    }
    write(deps, shop, RuleWrite::Delete(id), Effect::RuleDeleted { id }, attempt, Missing::Rule(id).into()).await?;
    tracing::info!(rule_id = %id, "rule deleted");
    Ok(id)
}

async fn write<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    rule: RuleWrite,
    effect: Effect,
    attempt: &Attempt,
    refused: RulesError,
) -> Result<(), RulesError> {
    let write = Write { rule: Some(rule), ..Write::default() }.with_effect(attempt.claim.as_ref(), effect);
    // A write that met another on the same items at the same moment (two deletes of one rule) is made
    // again, to be told how it now stands.
    for _ in 0..CONTENDED_TRIES {
        match deps.store.shop(&shop.domain).commit(write.clone()).await? {
            Committed::Done => return Ok(()),
            Committed::Rejected(Rejection::Rule) => return Err(refused),
            Committed::Rejected(Rejection::ClaimLost) => return Err(Unavailable::InProgress.into()),
            Committed::Rejected(Rejection::Contention) => continue,
            Committed::Rejected(_) => return Err(Unavailable::Busy.into()),
        }
    }
    Err(Unavailable::Busy.into())
}

/// How often a rule's write is made when other writes keep meeting it.
const CONTENDED_TRIES: usize = 3;

/// The rules a customer may redeem: the active ones, oldest first.
pub async fn active<S: Store, H>(deps: &Deps<S, H>, shop: &Shop) -> Result<Vec<RedeemRule>, Unavailable> {
    let mut rules = deps.store.shop(&shop.domain).rules().await?;
    rules.retain(|rule| rule.status == RuleStatus::Active);
    Ok(rules)
}

/// The shop's active rules, each with the alias an import gave it (another program's id for it), if any.
pub async fn active_with_aliases<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
) -> Result<Vec<(RedeemRule, Option<RuleAlias>)>, Unavailable> {
    let (rules, aliases) = tokio::try_join!(active(deps, shop), async {
        Ok::<_, Unavailable>(deps.store.shop(&shop.domain).rule_aliases().await?)
    })?;
    let alias_of = |id| aliases.iter().find(|(_, named)| *named == id).map(|(alias, _)| alias.clone());
    let named = |rule: RedeemRule| {
        let alias = alias_of(rule.id);
        (rule, alias)
    };
    Ok(rules.into_iter().map(named).collect())
}

/// The shop's active rules as options for nobody in particular: none blocked.
pub async fn everyone_s_options<S: Store, H>(deps: &Deps<S, H>, shop: &Shop) -> Result<Vec<RedeemOption>, Unavailable> {
    Ok(active(deps, shop).await?.into_iter().map(|rule| RedeemOption { rule, blocked: None }).collect())
}

/// The shop's active rules as one customer's options: which they can take now, and why not the others.
pub async fn options<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: CustomerId,
) -> Result<Vec<RedeemOption>, ReadError> {
    let store = deps.store.shop(&shop.domain);
    let who = CustomerRef::Id(customer_id);
    let (customer, rules) =
        tokio::try_join!(loyalty::customer(&store, &who), async { active(deps, shop).await.map_err(ReadError::from) })?;
    Ok(redemption::options(&customer, rules, deps.now()))
}
