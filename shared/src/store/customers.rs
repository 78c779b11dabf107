//! Customers: enrollment, lookup, balances and the loyalty view.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, TransactWriteItem};

use super::balance::BalanceError;
use super::idempotency::Claim;
use super::{
    cancellation_reasons, condition_failed, customer_item, customer_listing_item, from_item, internal, keys, to_item,
    CustomerId, Item, SortKey, Store,
};
use crate::domain::customer::{Customer, CustomerStatus, Enrollment};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::{BalanceChange, LedgerEntry};
use crate::domain::redemption::CustomerRef;
use crate::domain::reward::Reward;

const EMAIL_FREE_OR_MINE: &str = "attribute_not_exists(#pk) OR #customer = :customer";

/// What an enrollment did.
#[derive(Debug, PartialEq, Eq)]
pub enum Enrolled {
    New,
    Reactivated,
}

impl Store {
    pub async fn get_customer(&self, domain: &str, customer_id: u64) -> Result<Option<Customer>, TallyError> {
        self.get(keys::customer(domain, customer_id)).await
    }

    /// The customer a request names, or `CUSTOMER_NOT_FOUND`.
    pub async fn find_customer(&self, domain: &str, who: &CustomerRef) -> Result<Customer, TallyError> {
        let id = match who {
            CustomerRef::Id(id) => Some(*id),
            CustomerRef::Email(email) => {
                self.get::<CustomerId>(keys::email(domain, email)).await?.map(|owner| owner.customer_id)
            }
        };
        let customer = match id {
            Some(id) => self.get_customer(domain, id).await?,
            None => None,
        };
        customer.ok_or_else(|| TallyError::CustomerNotFound(who.to_string()))
    }

    /// Enrolls a customer, or re-enrolls one who left; the email must not belong to anyone else.
    pub async fn enroll(
        &self,
        domain: &str,
        enrollment: Enrollment,
        claim: Option<&Claim>,
    ) -> Result<(Customer, Enrolled), TallyError> {
        let mut previous_email = None;
        let (customer, outcome) = match self.get_customer(domain, enrollment.customer_id).await? {
            None => (Customer::enrolled(enrollment), Enrolled::New),
            Some(existing) => match existing.status {
                CustomerStatus::Active => return Err(TallyError::CustomerAlreadyEnrolled(existing.customer_id)),
                CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer => {
                    return Err(TallyError::CustomerExcluded)
                }
                CustomerStatus::Inactive => {
                    previous_email = existing.email.clone().filter(|old| *old != enrollment.email);
                    (existing.reenrolled(enrollment), Enrolled::Reactivated)
                }
            },
        };
        let email = customer.email.clone().unwrap_or_default();
        let profile = match outcome {
            Enrolled::New => self.put_new(customer_item(domain, &customer)?)?,
            Enrolled::Reactivated => self.put_versioned(domain, &customer)?,
        };
        let owner = CustomerId { customer_id: customer.customer_id };
        let email_item = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&owner, keys::email(domain, &email))?))
            .condition_expression(EMAIL_FREE_OR_MINE)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#customer", "customerId")
            .expression_attribute_values(":customer", AttributeValue::N(customer.customer_id.to_string()))
            .build()
            .map_err(TallyError::internal)?;
        let mut items = vec![profile, TransactWriteItem::builder().put(email_item).build()];
        if let Some(claim) = claim {
            let effect = Effect::Customer { customer_id: customer.customer_id }.to_string();
            items.push(self.claim_effect(domain, claim, &effect)?);
        }
        if outcome == Enrolled::New {
            items.push(self.put_new(customer_listing_item(domain, customer.customer_id)?)?);
        }
        if let Some(old) = &previous_email {
            // The address the customer left with no longer finds them, and is free for someone else.
            let (pk, sk) = keys::email(domain, old);
            let release = Delete::builder()
                .table_name(&self.table)
                .key(keys::PK, AttributeValue::S(pk))
                .key(keys::SK, AttributeValue::S(sk))
                .condition_expression(EMAIL_FREE_OR_MINE)
                .expression_attribute_names("#pk", keys::PK)
                .expression_attribute_names("#customer", "customerId")
                .expression_attribute_values(":customer", AttributeValue::N(customer.customer_id.to_string()))
                .build()
                .map_err(TallyError::internal)?;
            items.push(TransactWriteItem::builder().delete(release).build());
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok((customer, outcome)),
            Err(err) => {
                let Some(reasons) = cancellation_reasons(&err) else { return Err(internal(err)) };
                let failed: Vec<bool> = reasons.iter().map(condition_failed).collect();
                match failed.as_slice() {
                    [true, ..] => Err(TallyError::CustomerAlreadyEnrolled(customer.customer_id)),
                    [_, true, ..] => Err(TallyError::EmailInUse(email)),
                    [_, _, true, ..] if claim.is_some() => Err(super::rewards::claim_lost()),
                    _ => Err(TallyError::Busy),
                }
            }
        }
    }

    /// Writes a customer record as it is, replacing what is there: for seeding and tests, never for balances.
    pub async fn put_customer_record(&self, domain: &str, customer: &Customer) -> Result<(), TallyError> {
        for item in [customer_item(domain, customer)?, customer_listing_item(domain, customer.customer_id)?] {
            self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(internal)?;
        }
        if let Some(email) = &customer.email {
            let owner = CustomerId { customer_id: customer.customer_id };
            self.client
                .put_item()
                .table_name(&self.table)
                .set_item(Some(to_item(&owner, keys::email(domain, email))?))
                .send()
                .await
                .map_err(internal)?;
        }
        Ok(())
    }

    /// Adds (positive) or removes (negative) points, with the reason in the ledger.
    pub async fn adjust_points(
        &self,
        domain: &str,
        who: &CustomerRef,
        delta: i64,
        reason: &str,
        claim: Option<&Claim>,
    ) -> Result<Customer, TallyError> {
        let customer = self.find_customer(domain, who).await?;
        let change = BalanceChange::adjust(delta, reason);
        let effect = Effect::Balance { customer_id: customer.customer_id }.to_string();
        let extra = claim.map(|claim| self.claim_effect(domain, claim, &effect)).transpose()?.into_iter().collect();
        match self.change_balance(domain, customer, &change, extra, true).await {
            Ok(customer) => Ok(customer),
            Err(BalanceError::Refused(e)) => Err(e),
            Err(BalanceError::ItemConflict(_)) => Err(super::rewards::claim_lost()),
        }
    }

    /// The customer's record and rewards, in one query.
    pub async fn loyalty(&self, domain: &str, customer_id: u64) -> Result<Option<(Customer, Vec<Reward>)>, TallyError> {
        let mut items = self.query(keys::customer_partition(domain, customer_id), SortKey::From(keys::PROFILE)).await?;
        let Some(position) = items.iter().position(|item| sort_key(item) == Some(keys::PROFILE)) else {
            return Ok(None);
        };
        let customer = from_item(items.swap_remove(position))?;
        let rewards = items
            .into_iter()
            .filter(|item| sort_key(item).is_some_and(|sk| sk.starts_with(keys::REWARD_PREFIX)))
            .map(from_item)
            .collect::<Result<_, _>>()?;
        Ok(Some((customer, rewards)))
    }

    /// The customer's ledger, oldest entry first.
    pub async fn ledger(&self, domain: &str, customer_id: u64) -> Result<Vec<LedgerEntry>, TallyError> {
        let items =
            self.query(keys::customer_partition(domain, customer_id), SortKey::Prefix(keys::LEDGER_PREFIX)).await?;
        items.into_iter().map(from_item).collect()
    }

    /// A transaction item replacing the customer's record, if nobody changed it since it was read.
    fn put_versioned(&self, domain: &str, next: &Customer) -> Result<TransactWriteItem, TallyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(customer_item(domain, next)?))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", AttributeValue::N((next.version - 1).to_string()))
            .build()
            .map_err(TallyError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn sort_key(item: &Item) -> Option<&str> {
    item.get(keys::SK).and_then(|v| v.as_s().ok()).map(String::as_str)
}
