//! A customer's loyalty information.

use super::Deps;
use crate::domain::customer::CustomerRef;
use crate::domain::error::{Invalid, TallyError};
use crate::domain::ledger::ActivityPage;
use crate::domain::loyalty::{Loyalty, RewardPage, RewardPosition};
use crate::domain::reward::RewardStatus;
use crate::domain::shop::Shop;

/// The loyalty information of the customer a request names.
pub async fn find(deps: &Deps, shop: &Shop, who: &CustomerRef) -> Result<Loyalty, TallyError> {
    let customer = deps.store.find_customer(&shop.domain, who).await?;
    of(deps, shop, customer.customer_id).await
}

/// The loyalty information of a customer known by id.
pub async fn of(deps: &Deps, shop: &Shop, customer_id: u64) -> Result<Loyalty, TallyError> {
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, customer_id)
        .await?
        .ok_or(TallyError::CustomerNotFound(CustomerRef::Id(customer_id)))?;
    Ok(Loyalty::new(customer, rewards, &shop.currency))
}

/// A page of the rewards of the customer a request names, newest first; `status` keeps only those. `after`
/// is where the last page ended, and whose it was: another customer's is refused.
pub async fn rewards(
    deps: &Deps,
    shop: &Shop,
    who: &CustomerRef,
    status: Option<RewardStatus>,
    after: Option<(u64, RewardPosition)>,
    limit: usize,
) -> Result<RewardPage, TallyError> {
    let customer = deps.store.find_customer(&shop.domain, who).await?;
    let after = owned(after, customer.customer_id)?;
    let (_, rewards) = deps
        .store
        .loyalty(&shop.domain, customer.customer_id)
        .await?
        .ok_or(TallyError::CustomerNotFound(CustomerRef::Id(customer.customer_id)))?;
    let wanted = |r: &crate::domain::reward::Reward| status.is_none_or(|s| r.status == s);
    Ok(RewardPage::of(customer.customer_id, rewards, wanted, after, limit))
}

/// A page of the points activity of the customer a request names, newest first. `after` is where the last
/// page ended (the sequence number of its last entry) and whose it was: another customer's is refused.
pub async fn activity(
    deps: &Deps,
    shop: &Shop,
    who: &CustomerRef,
    after: Option<(u64, u64)>,
    limit: usize,
) -> Result<ActivityPage, TallyError> {
    let customer = deps.store.find_customer(&shop.domain, who).await?;
    let before = owned(after, customer.customer_id)?;
    let (entries, more) = deps.store.ledger_page(&shop.domain, customer.customer_id, before, limit).await?;
    let next = if more { entries.last().map(|e| e.seq) } else { None };
    Ok(ActivityPage { customer_id: customer.customer_id, entries, next })
}

/// Where a page starts, from a cursor that must be the customer's own.
fn owned<T>(cursor: Option<(u64, T)>, customer_id: u64) -> Result<Option<T>, TallyError> {
    match cursor {
        Some((owner, _)) if owner != customer_id => Err(Invalid::Cursor.into()),
        other => Ok(other.map(|(_, at)| at)),
    }
}
