//! Unused rewards moved in: codes the customers hold from the program they come from, which exist in
//! Shopify already. Each becomes an unused reward of its customer's, so that Tally shows it, expires it at
//! its end and can refund it. Only a code Shopify holds, active and never used, is taken; its points were
//! spent in the other program and are not spent again.

use tally_domain::ids::CustomerId;
use tally_domain::reward::{NotImportable, RewardImport};
use tally_domain::shop::Shop;

use super::{ImportRefused, Imported};
use crate::access;
use crate::error::Unavailable;

use crate::ports::store::{Customers, Rewards, Rules, Writes};
use crate::ports::write::{NewCode, RewardWrite};
use crate::ports::{Committed, CustomerWrite, Rejection, Shopify, ShopifyShop, Store, Write};
use crate::Deps;

/// Why an unused reward is not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RewardRefused {
    #[error("customer {0} is not in Tally: import the customers first")]
    NoCustomer(CustomerId),
    #[error("the code is customer {0}'s in Tally")]
    CodeTaken(CustomerId),
    #[error("Shopify has no discount with this code")]
    NotInShopify,
    #[error("Shopify's discount with this code is not active")]
    Inactive,
    #[error("an order used the code in Shopify already")]
    Used,
    #[error("{0}")]
    Terms(#[from] NotImportable),
    #[error("the customer's counts cannot hold another reward")]
    TooMany,
}

/// Imports an unused reward for its customer (imported first), after asking Shopify for its code.
pub async fn reward<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    imported: RewardImport,
    dry_run: bool,
) -> Result<Imported, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let (customer_id, code) = (imported.customer_id, imported.code.trim().to_string());
    if let Some(there) = already(&store, customer_id, &code).await? {
        return Ok(there);
    }
    let refused = |refused: RewardRefused| Ok(Imported::Refused(ImportRefused::Reward(refused)));
    let Some(mut customer) = store.customer(customer_id).await? else {
        return refused(RewardRefused::NoCustomer(customer_id));
    };
    let found = access::shopify(deps, shop, None).find_discount(&code).await.map_err(Unavailable::shopify)?;
    let found = match found {
        None => return refused(RewardRefused::NotInShopify),
        Some(found) if !found.active => return refused(RewardRefused::Inactive),
        Some(found) if found.uses > 0 => return refused(RewardRefused::Used),
        Some(found) => found,
    };
    let description = match imported.description.clone() {
        Some(description) => description,
        None => store.rule(imported.rule_id).await?.map_or_else(|| code.clone(), |rule| rule.name),
    };
    let reward = match imported.reward(shop, description, found.id, deps.now()) {
        Ok(reward) => reward,
        Err(terms) => return refused(terms.into()),
    };
    if dry_run {
        return Ok(Imported::Done);
    }
    for _ in 0..MAX_ATTEMPTS {
        let Some(next) = customer.with_imported_reward(&reward, deps.now()) else {
            return refused(RewardRefused::TooMany);
        };
        let write = Write {
            customer: Some(CustomerWrite::Replaced { customer: next, read_version: customer.version }),
            reward: Some(RewardWrite::New(reward.clone())),
            code: Some(NewCode { code: code.clone(), customer_id, reward_id: reward.id }),
            ..Write::default()
        };
        match store.commit(write).await? {
            Committed::Done => return Ok(Imported::Done),
            // The customer changed meanwhile (a redemption, another reward of the file): read again.
            Committed::Rejected(Rejection::Customer(current)) => {
                customer = match current {
                    Some(current) => *current,
                    None => store.customer(customer_id).await?.ok_or(Unavailable::Busy)?,
                }
            }
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
