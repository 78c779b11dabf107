//! A customer's loyalty information, their rewards page by page, and their points activity.

use tally_domain::customer::{Customer, CustomerRef};
use tally_domain::error::Missing;
use tally_domain::ids::CustomerId;
use tally_domain::ledger::ActivityPage;
use tally_domain::loyalty::{Loyalty, RewardPage, RewardPosition, LATEST_REWARDS};
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

/// The customer a request names, if the shop has them, with their newest rewards kept in order (at most
/// `LATEST_REWARDS`), read at the same time: what a change of their balance reads, to decide and to answer.
pub(crate) async fn lookup_with_newest<S: Customers + Rewards>(
    store: &S,
    who: &CustomerRef,
) -> Result<Option<(Customer, Vec<Reward>)>, StoreError> {
    let id = match who {
        CustomerRef::Id(id) => *id,
        CustomerRef::Identity(identity) => match store.owner(identity).await? {
            Some(id) => id,
            None => return Ok(None),
        },
    };
    let (customer, (newest, _)) = tokio::try_join!(store.customer(id), store.newest_rewards(id, None, LATEST_REWARDS))?;
    Ok(customer.map(|customer| (customer, newest)))
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

/// The loyalty information of a customer known by id: the record and the newest rewards, read at once.
pub async fn of<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, customer_id: CustomerId) -> Result<Loyalty, ReadError> {
    let store = deps.store.shop(&shop.domain);
    let who = CustomerRef::Id(customer_id);
    let (customer, newest) =
        lookup_with_newest(&store, &who).await?.ok_or(ReadError::Missing(Missing::Customer(who)))?;
    answer(&store, shop, customer, newest, deps.now()).await
}

/// The loyalty information of `customer` as a request holds them, with their newest rewards as it read
/// them; older ones are read only for a record that keeps no tally, or has rewards from before.
pub(crate) async fn answer<S: Rewards>(
    store: &S,
    shop: &Shop,
    customer: Customer,
    newest: Vec<Reward>,
    at: tally_domain::Time,
) -> Result<Loyalty, ReadError> {
    let rewards = latest(store, &customer, newest).await?;
    Ok(Loyalty::new(customer, rewards, &shop.currency, at))
}

/// The loyalty information as a change left it: the customer after it, and the rewards read with them,
/// `changed` among them as it now is.
pub(crate) fn after_change(
    shop: &Shop,
    customer: Customer,
    mut rewards: Vec<Reward>,
    changed: &Reward,
    at: tally_domain::Time,
) -> Loyalty {
    rewards.retain(|r| r.id != changed.id);
    rewards.push(changed.clone());
    Loyalty::new(customer, rewards, &shop.currency, at)
}

/// The rewards the loyalty information shows, when the newest kept in order (`newest`, as read) are all of
/// them: none is older than the order kept, or they are as many as it shows.
pub(crate) fn latest_read(customer: &Customer, newest: &[Reward]) -> Option<Vec<Reward>> {
    match customer.rewards {
        Some(tally) if tally.unordered == 0 || newest.len() >= LATEST_REWARDS => Some(newest.to_vec()),
        _ => None,
    }
}

/// The rewards the loyalty information shows, from the newest kept in order (`newest`, as read): topped up
/// with the older ones when they are fewer than it shows, or every reward for a record that keeps no tally.
pub(crate) async fn latest<S: Rewards>(
    store: &S,
    customer: &Customer,
    mut newest: Vec<Reward>,
) -> Result<Vec<Reward>, StoreError> {
    match customer.rewards {
        None => Ok(store.customer_with_rewards(customer.customer_id).await?.map(|(_, all)| all).unwrap_or_default()),
        Some(tally) if tally.unordered > 0 && newest.len() < LATEST_REWARDS => {
            newest.extend(store.unordered_rewards(customer.customer_id).await?);
            Ok(newest)
        }
        Some(_) => Ok(newest),
    }
}

/// How many rewards a page reads at most to find those a status filter keeps: a page may then hold fewer
/// than asked, with a cursor to go on.
const MOST_READ_FOR_A_PAGE: usize = 500;

/// A page of the rewards of the customer a request names, newest first; `status` keeps only those. `after`
/// is where the last page ended, and whose it was: another customer's is refused. The rewards kept in order
/// are read a bounded page at a time; those from before, after them, whole.
pub async fn rewards<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    who: &CustomerRef,
    status: Option<RewardStatus>,
    after: Option<(CustomerId, RewardPosition)>,
    limit: usize,
) -> Result<RewardPage, ReadError> {
    let store = deps.store.shop(&shop.domain);
    let customer = customer(&store, who).await?;
    let customer_id = customer.customer_id;
    let after = owned(after, customer_id)?;
    let wanted = |r: &Reward| status.is_none_or(|s| r.status() == s);
    let Some(tally) = customer.rewards else {
        let all = store.customer_with_rewards(customer_id).await?.map(|(_, all)| all).unwrap_or_default();
        return Ok(RewardPage::of(customer_id, all, wanted, after, limit));
    };
    let in_order = |p: &RewardPosition| p.id.tells(p.create_at);
    let position = |r: &Reward| RewardPosition { create_at: r.create_at, id: r.id };
    let mut page = Vec::new();
    if after.is_none_or(|a| in_order(&a)) {
        let (mut before, mut read) = (after.map(|a| a.id), 0);
        loop {
            let (newest, more) = store.newest_rewards(customer_id, before, limit + 1).await?;
            read += newest.len();
            before = newest.last().map(|r| r.id);
            page.extend(newest.iter().filter(|r| wanted(r)).cloned());
            if page.len() > limit {
                page.truncate(limit);
                let next = page.last().map(position);
                return Ok(RewardPage { customer_id, rewards: page, next });
            }
            if !more {
                break;
            }
            if read >= MOST_READ_FOR_A_PAGE {
                let next = newest.last().map(position);
                return Ok(RewardPage { customer_id, rewards: page, next });
            }
        }
    }
    let older = match tally.unordered {
        0 => vec![],
        _ => store.unordered_rewards(customer_id).await?,
    };
    if page.len() == limit {
        // Full with the ordered ones: the next page starts with the older ones, if any is wanted.
        let next = older.iter().any(wanted).then(|| page.last().map(position)).flatten();
        return Ok(RewardPage { customer_id, rewards: page, next });
    }
    let rest = RewardPage::of(customer_id, older, wanted, after.filter(|a| !in_order(a)), limit - page.len());
    page.extend(rest.rewards);
    Ok(RewardPage { customer_id, rewards: page, next: rest.next })
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
