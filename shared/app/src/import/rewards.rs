//! Unused rewards moved in: codes the customers hold from the program they come from, which exist in
//! Shopify already. Each becomes an unused reward of its customer's, so that Tally shows it, expires it at
//! its end and can refund it. Only a code Shopify holds, active, never used and alone in its discount, is
//! taken; its points were spent in the other program and are not spent again.

use tally_domain::ids::CustomerId;
use tally_domain::reward::{NotImportable, RewardImport, RuleNamed};
use tally_domain::rule::RuleAlias;
use tally_domain::shop::Shop;

use super::{ImportRefused, Imported};
use crate::access;
use crate::error::Unavailable;
use crate::ports::store::{Customers, Rewards, Rules, ShopRecords, Writes};
use crate::ports::write::{NewCode, RewardWrite};
use crate::ports::{Committed, CustomerWrite, Rejection, Shopify, ShopifyShop, Store, Write};
use crate::Deps;

/// Why an unused reward is not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardRefused {
    #[error("customer {0} is not in Tally: import the customers first")]
    NoCustomer(CustomerId),
    #[error("no rule has the id {0}: import the rules first")]
    NoRule(RuleAlias),
    #[error("the code is customer {0}'s in Tally")]
    CodeTaken(CustomerId),
    #[error("Shopify has no discount with this code")]
    NotInShopify,
    #[error("Shopify's discount with this code is not active")]
    Inactive,
    #[error("an order used the code in Shopify already")]
    Used,
    #[error("the code's Shopify discount has {0} codes: ending it for this reward would end them all")]
    SharedDiscount(u64),
    #[error("{0}")]
    Terms(#[from] NotImportable),
    #[error("the customer's counts cannot hold another reward")]
    TooMany,
}

/// Imports an unused reward for its customer, after asking Shopify for its code. The customer must be in
/// Tally, or, in a dry run, `in_this_run` (in the customers the same run brings).
pub async fn reward<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    imported: RewardImport,
    dry_run: bool,
    in_this_run: bool,
) -> Result<Imported, Unavailable> {
    let refused = |refused: RewardRefused| Ok(Imported::Refused(ImportRefused::Reward(refused)));
    if let Err(terms) = imported.check(deps.now()) {
        return refused(terms.into());
    }
    let store = deps.store.shop(&shop.domain);
    let (customer_id, code) = (imported.customer_id, imported.code.trim().to_string());
    if let Some(there) = already(&store, customer_id, &code).await? {
        return Ok(there);
    }
    let customer = store.customer(customer_id).await?;
    if customer.is_none() && !(dry_run && in_this_run) {
        return refused(RewardRefused::NoCustomer(customer_id));
    }
    let (rule_id, rule_name) = match &imported.rule {
        RuleNamed::Id(id) => (*id, store.rule(*id).await?.map(|rule| rule.name)),
        RuleNamed::Alias(alias) => match store.rule_by_alias(alias).await? {
            Some(id) => (id, store.rule(id).await?.map(|rule| rule.name)),
            None => return refused(RewardRefused::NoRule(alias.clone())),
        },
    };
    let found = access::shopify(deps, shop, None).find_discount(&code).await.map_err(Unavailable::shopify)?;
    let found = match found {
        None => return refused(RewardRefused::NotInShopify),
        Some(found) if !found.active => return refused(RewardRefused::Inactive),
        Some(found) if found.uses > 0 => return refused(RewardRefused::Used),
        Some(found) if found.codes > 1 => return refused(RewardRefused::SharedDiscount(found.codes)),
        Some(found) => found,
    };
    let (Some(mut customer), false) = (customer, dry_run) else { return Ok(Imported::Done) };
    // A rule the import did not bring keeps its id from the rules made later, as the reward names it.
    if rule_name.is_none() && !store.rule_id_taken(rule_id).await? {
        return Ok(Imported::Refused(ImportRefused::NoShop));
    }
    let description = imported.description.clone().or(rule_name).unwrap_or_else(|| code.clone());
    let mut attempt = 0;
    for _ in 0..MAX_ATTEMPTS {
        let terms = (deps.now(), attempt);
        let reward = match imported.clone().reward(shop, rule_id, description.clone(), found.id.clone(), terms) {
            Ok(reward) => reward,
            Err(terms) => return refused(terms.into()),
        };
        let Some(next) = customer.with_imported_reward(&reward, deps.now()) else {
            return refused(RewardRefused::TooMany);
        };
        let write = Write {
            customer: Some(CustomerWrite::Replaced { customer: next, read_version: customer.version }),
            code: Some(NewCode { code: code.clone(), customer_id, reward_id: reward.id }),
            reward: Some(RewardWrite::New(reward)),
            ..Write::default()
        };
        match store.commit(write).await? {
            Committed::Done => return Ok(Imported::Done),
            // The customer changed meanwhile (a redemption, another reward of the file): on the record as it is.
            Committed::Rejected(Rejection::Customer(current)) => {
                customer = match current {
                    Some(current) => *current,
                    None => store.customer(customer_id).await?.ok_or(Unavailable::Busy)?,
                }
            }
            // Another write held the record at that moment: the same write again.
            Committed::Rejected(Rejection::Contention) => {}
            // Another reward has the id (two codes alike in bits, made the same second): another id.
            Committed::Rejected(Rejection::RewardIdTaken) => attempt += 1,
            // Imported meanwhile (a run racing this one), or the code is another's.
            Committed::Rejected(_) => return already(&store, customer_id, &code).await?.ok_or(Unavailable::Busy),
        }
    }
    Err(Unavailable::Busy)
}

/// Writes of one reward tried before this run gives up on it (a customer's record that keeps changing: their
/// other rewards imported at the same time).
const MAX_ATTEMPTS: usize = 10;

/// What an earlier import of the code left: the customer's reward (there already), another's, or nothing.
async fn already(store: &impl Rewards, customer: CustomerId, code: &str) -> Result<Option<Imported>, Unavailable> {
    Ok(store.code_owner(code).await?.map(|(owner, _)| match owner == customer {
        true => Imported::AlreadyThere,
        false => Imported::Refused(ImportRefused::Reward(RewardRefused::CodeTaken(owner))),
    }))
}
