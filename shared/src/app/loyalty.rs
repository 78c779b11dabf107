//! A customer's loyalty information.

use super::Deps;
use crate::domain::customer::CustomerRef;
use crate::domain::error::TallyError;
use crate::domain::loyalty::Loyalty;
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
