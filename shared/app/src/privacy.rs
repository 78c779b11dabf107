//! Shopify's compliance webhooks: what Tally holds of a customer (`customers/data_request`), erasing a
//! customer's personal data (`customers/redact`), and deleting a shop's data (`shop/redact`).

use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::shop::{Shop, ShopDomain};

use crate::error::Unavailable;
use crate::ports::store::{Customers, Ledgers, Rewards, Writes};
use crate::ports::write::IdentityWrite;
use crate::ports::{Committed, CustomerWrite, Rejection, Store, Write};
use crate::Deps;

/// Everything Tally holds of a customer.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerData {
    pub customer: Customer,
    pub rewards: Vec<Reward>,
    pub ledger: Vec<LedgerEntry>,
}

/// What Tally holds of the customer, or `None` when it holds nothing.
pub async fn export<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    customer_id: CustomerId,
) -> Result<Option<CustomerData>, Unavailable> {
    let store = deps.store.shop(domain);
    let Some((customer, rewards)) = store.customer_with_rewards(customer_id).await? else { return Ok(None) };
    let ledger = store.ledger(customer_id).await?;
    Ok(Some(CustomerData { customer, rewards, ledger }))
}

/// A customer asked the merchant what is held about them: the merchant's log says what Tally holds (without
/// the personal data itself, which `tally-cli customer export` prints for the merchant to send).
pub async fn data_request<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: CustomerId,
) -> Result<bool, Unavailable> {
    let Some(data) = export(deps, &shop.domain, customer_id).await? else {
        tracing::info!(shop = %shop.domain, %customer_id, "data request: Tally holds nothing of this customer");
        return Ok(false);
    };
    tracing::info!(
        shop = %shop.domain,
        %customer_id,
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

/// Erases the customer's email, phone and external id, and the items that find them by those (only where
/// they are still this customer's); the balance, the ledger and the rewards stay under the customer's id,
/// which is Shopify's and no personal data of its own. `false` when there is no such customer.
pub async fn redact_customer<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: CustomerId,
) -> Result<bool, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    for _ in 0..10 {
        let Some(customer) = store.customer(customer_id).await? else { return Ok(false) };
        let erased =
            Customer { email: None, phone: None, external_id: None, version: customer.version + 1, ..customer.clone() };
        let mut identities = Vec::new();
        for identity in customer.identities() {
            if store.owner(&identity).await? == Some(customer_id) {
                identities.push(IdentityWrite::Release(identity, customer_id));
            }
        }
        let record = CustomerWrite::Replaced { customer: erased, read_version: customer.version };
        match store.commit(Write { identities, ..Write::customer(record) }).await? {
            Committed::Done => {
                tracing::info!(shop = %shop.domain, %customer_id, "customer's personal data erased");
                return Ok(true);
            }
            // The profile changed meanwhile (a balance moved): read it again.
            Committed::Rejected(Rejection::Customer(_) | Rejection::Contention | Rejection::Identity(_)) => continue,
            Committed::Rejected(_) => return Err(Unavailable::Busy),
        }
    }
    Err(Unavailable::Busy)
}
