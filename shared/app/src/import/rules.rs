//! Rules moved in: under the id they had, so that a client naming rule 5 still names the same reward; or,
//! when the program they come from named them with text (Mage's `reward_abc`), under a new id of Tally's
//! with that text kept as the rule's alias. A second run finds each where the first put it.

use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::shop::Shop;

use super::{ImportRefused, Imported};
use crate::error::Unavailable;
use crate::ports::store::{Rules, ShopRecords, Writes};
use crate::ports::write::RuleWrite;
use crate::ports::{Committed, Rejection, Store, Write};
use crate::Deps;

/// A rule to import: under its own id, or, with an alias, under the next id of the shop's (the rule's id
/// is then replaced by the one it is given).
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedRule {
    pub rule: RedeemRule,
    pub alias: Option<RuleAlias>,
}

/// Imports a rule: under its own id (the shop's next rules get ids past it), or under a new id with its
/// alias. An id Tally deleted is not taken again.
pub async fn rule<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    imported: ImportedRule,
    dry_run: bool,
) -> Result<Imported, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    match imported.alias {
        Some(alias) => by_alias(&store, imported.rule, alias, dry_run).await,
        None => by_id(&store, imported.rule, dry_run).await,
    }
}

async fn by_id(
    store: &(impl Rules + ShopRecords + Writes),
    rule: RedeemRule,
    dry_run: bool,
) -> Result<Imported, Unavailable> {
    let id = rule.id;
    match store.rule(id).await? {
        Some(existing) if existing == rule => return Ok(Imported::AlreadyThere),
        Some(_) => return Ok(Imported::Refused(ImportRefused::RuleIdTaken(id.get()))),
        None => {}
    }
    if store.rule_deleted(id).await? {
        return Ok(Imported::Refused(ImportRefused::RuleIdDeleted(id.get())));
    }
    if dry_run {
        return Ok(Imported::Done);
    }
    // The counter first: a rule the API creates meanwhile never takes the id.
    if !store.rule_id_taken(id).await? {
        return Ok(Imported::Refused(ImportRefused::NoShop));
    }
    let write = Write { rule: Some(RuleWrite::Import { rule: rule.clone(), alias: None }), ..Write::default() };
    match store.commit(write).await? {
        Committed::Done => Ok(Imported::Done),
        Committed::Rejected(Rejection::RuleDeleted) => Ok(Imported::Refused(ImportRefused::RuleIdDeleted(id.get()))),
        // Created meanwhile: by an earlier run racing this one, or by someone else.
        Committed::Rejected(_) => match store.rule(id).await? {
            Some(existing) if existing == rule => Ok(Imported::AlreadyThere),
            _ => Ok(Imported::Refused(ImportRefused::RuleIdTaken(id.get()))),
        },
    }
}

async fn by_alias(
    store: &(impl Rules + ShopRecords + Writes),
    rule: RedeemRule,
    alias: RuleAlias,
    dry_run: bool,
) -> Result<Imported, Unavailable> {
    if let Some(imported) = as_imported(store, &rule, &alias).await? {
        return Ok(imported);
    }
    if dry_run {
        return Ok(Imported::Done);
    }
    let Some(id) = store.next_rule_id().await? else { return Ok(Imported::Refused(ImportRefused::NoShop)) };
    let write = Write {
        rule: Some(RuleWrite::Import { rule: RedeemRule { id, ..rule.clone() }, alias: Some(alias.clone()) }),
        ..Write::default()
    };
    match store.commit(write).await? {
        Committed::Done => Ok(Imported::Done),
        // Imported meanwhile by a run racing this one (the id it was given is left unused).
        Committed::Rejected(_) => as_imported(store, &rule, &alias).await?.ok_or(Unavailable::Busy),
    }
}

/// What an earlier import of the alias left: the same rule (there already), another (refused), or nothing.
async fn as_imported(
    store: &impl Rules,
    rule: &RedeemRule,
    alias: &RuleAlias,
) -> Result<Option<Imported>, Unavailable> {
    let Some(id) = store.rule_by_alias(alias).await? else { return Ok(None) };
    Ok(Some(match store.rule(id).await? {
        Some(existing) if existing == (RedeemRule { id, ..rule.clone() }) => Imported::AlreadyThere,
        _ => Imported::Refused(ImportRefused::AliasTaken(alias.clone(), id.get())),
    }))
}
