//! Shopify's compliance webhooks: what Tally holds of a customer (`customers/data_request`), erasing a
//! customer's personal data (`customers/redact`), and deleting a shop's data (`shop/redact`).

use std::time::Instant;

use super::Deps;
use crate::domain::customer::Customer;
use crate::domain::error::TallyError;
use crate::domain::ledger::LedgerEntry;
use crate::domain::reward::Reward;
use crate::domain::shop::Shop;

/// Everything Tally holds of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerData {
    pub customer: Customer,
    pub rewards: Vec<Reward>,
    pub ledger: Vec<LedgerEntry>,
}

/// What Tally holds of the customer, or `None` when it holds nothing.
pub async fn export(deps: &Deps, domain: &str, customer_id: u64) -> Result<Option<CustomerData>, TallyError> {
    let Some((customer, rewards)) = deps.store.loyalty(domain, customer_id).await? else { return Ok(None) };
    let ledger = deps.store.ledger(domain, customer_id).await?;
    Ok(Some(CustomerData { customer, rewards, ledger }))
}

/// A customer asked the merchant what is held about them: the merchant's log says what Tally holds (without
/// the personal data itself, which `tally-cli customer export` prints for the merchant to send).
pub async fn data_request(deps: &Deps, shop: &Shop, customer_id: u64) -> Result<bool, TallyError> {
    let Some(data) = export(deps, &shop.domain, customer_id).await? else {
        tracing::info!(shop = %shop.domain, customer_id, "data request: Tally holds nothing of this customer");
        return Ok(false);
    };
    tracing::info!(
        shop = %shop.domain,
        customer_id,
        email_held = data.customer.email.is_some(),
        phone_held = data.customer.phone.is_some(),
        external_id_held = data.customer.external_id.is_some(),
        balance = data.customer.available_points,
        rewards = data.rewards.len(),
        ledger_entries = data.ledger.len(),
        "data request: what Tally holds (tally-cli customer export --shop {} --customer-id {customer_id} prints it)",
        shop.domain
    );
    Ok(true)
}

/// Erases the customer's email, phone and external id and the lookups by them; the balance, the ledger and the rewards
/// stay under the customer's id, which is Shopify's and no personal data of its own.
pub async fn redact_customer(deps: &Deps, shop: &Shop, customer_id: u64) -> Result<bool, TallyError> {
    let redacted = deps.store.redact_customer(&shop.domain, customer_id).await?;
    tracing::info!(shop = %shop.domain, customer_id, redacted, "customer's personal data erased");
    Ok(redacted)
}

/// A customer's deletion is begun only with this much time left.
const ONE_MORE: std::time::Duration = std::time::Duration::from_millis(500);

/// Deletes every item of the shop, customer by customer and then the shop itself, within `deadline`.
/// `false` when time ran out first: Shopify delivers `shop/redact` again, and the deletion goes on where it
/// stopped (a deleted customer is no longer listed). The shop and its secrets go last: the next delivery
/// must still be verified.
pub async fn redact_shop(deps: &Deps, shop: &Shop, deadline: Option<Instant>) -> Result<bool, TallyError> {
    for customer_id in deps.store.list_customers(&shop.domain).await? {
        if deadline.is_some_and(|d| d.saturating_duration_since(Instant::now()) < ONE_MORE) {
            tracing::warn!(shop = %shop.domain, "shop redaction stopped for time; the next delivery goes on");
            return Ok(false);
        }
        deps.store.delete_customer(&shop.domain, customer_id).await?;
    }
    deps.store.delete_shop(&shop.domain).await?;
    tracing::warn!(shop = %shop.domain, "every item of the shop was deleted");
    Ok(true)
}
