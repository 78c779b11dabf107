//! A customer's loyalty information, their rewards page by page, and their points activity.

use tally_domain::customer::{Customer, CustomerRef};
use tally_domain::error::Missing;
use tally_domain::ids::CustomerId;
use tally_domain::ledger::ActivityPage;
use tally_domain::loyalty::{Loyalty, RewardPage, RewardPosition};
use tally_domain::reward::{Reward, RewardStatus};
use tally_domain::shop::Shop;

use crate::error::ReadError;
use crate::ports::store::{Customers, Ledgers, Rewards};
use crate::ports::{Store, StoreError};
use crate::Deps;

/// The customer a request names, if the shop has them.
pub(crate) async fn lookup<S: Customers>(store: &S, who: &CustomerRef) -> Result<Option<Customer>, StoreError> {
    let id = match who {
        CustomerRef::Id(id) => Some(*id),
        CustomerRef::Identity(identity) => store.owner(identity).await?,
    };
    match id {
        Some(id) => store.customer(id).await,
        None => Ok(None),
    }
}

/// The customer a request names, or `CUSTOMER_NOT_FOUND`.
pub(crate) async fn customer<S: Customers>(store: &S, who: &CustomerRef) -> Result<Customer, ReadError> {
    lookup(store, who).await?.ok_or_else(|| Missing::Customer(who.clone()).into())
}

/// The loyalty information of the customer a request names.
pub async fn find<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, who: &CustomerRef) -> Result<Loyalty, ReadError> {
    let customer = customer(&deps.store.shop(&shop.domain), who).await?;
    of(deps, shop, customer.customer_id).await
}

/// The loyalty information of a customer known by id.
pub async fn of<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, customer_id: CustomerId) -> Result<Loyalty, ReadError> {
    let (customer, rewards) = with_rewards(deps, shop, customer_id).await?;
    Ok(Loyalty::new(customer, rewards, &shop.currency, deps.now()))
}

async fn with_rewards<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: CustomerId,
) -> Result<(Customer, Vec<Reward>), ReadError> {
    let found = deps.store.shop(&shop.domain).customer_with_rewards(customer_id).await?;
    found.ok_or(ReadError::Missing(Missing::Customer(CustomerRef::Id(customer_id))))
}

/// A page of the rewards of the customer a request names, newest first; `status` keeps only those. `after`
/// is where the last page ended, and whose it was: another customer's is refused.
pub async fn rewards<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    who: &CustomerRef,
    status: Option<RewardStatus>,
    after: Option<(CustomerId, RewardPosition)>,
    limit: usize,
) -> Result<RewardPage, ReadError> {
    let customer = customer(&deps.store.shop(&shop.domain), who).await?;
    let after = owned(after, customer.customer_id)?;
    let (_, rewards) = with_rewards(deps, shop, customer.customer_id).await?;
    let wanted = |r: &Reward| status.is_none_or(|s| r.status() == s);
    Ok(RewardPage::of(customer.customer_id, rewards, wanted, after, limit))
}

/// A page of the points activity of the customer a request names, newest first. `after` is where the last
/// page ended (the sequence number of its last entry) and whose it was: another customer's is refused.
pub async fn activity<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    who: &CustomerRef,
    after: Option<(CustomerId, u64)>,
    limit: usize,
) -> Result<ActivityPage, ReadError> {
    let store = deps.store.shop(&shop.domain);
    let customer = customer(&store, who).await?;
    let before = owned(after, customer.customer_id)?;
    let (entries, more) = store.ledger_page(customer.customer_id, before, limit).await?;
    let next = if more { entries.last().map(|e| e.seq) } else { None };
    Ok(ActivityPage { customer_id: customer.customer_id, entries, next })
}

/// Where a page starts, from a cursor that must be the customer's own.
fn owned<T>(cursor: Option<(CustomerId, T)>, customer_id: CustomerId) -> Result<Option<T>, ReadError> {
    match cursor {
        Some((owner, _)) if owner != customer_id => Err(ReadError::ForeignCursor),
        other => Ok(other.map(|(_, at)| at)),
    }
}
