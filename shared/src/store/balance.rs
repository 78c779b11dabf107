//! Every change of a balance goes through here: the customer's record, conditioned on the version it was
//! read at, and the ledger entry that records the change, in one transaction with whatever else must
//! happen with it (a reward, its code).

use std::time::Duration;

use aws_sdk_dynamodb::types::{AttributeValue, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem};

use super::{cancellation_reasons, condition_failed, customer_item, from_item, internal, keys, to_item, Store};
use crate::domain::customer::Customer;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::redemption::check_enrolled;

/// Conflicting writers are retried at once with the record DynamoDB returns: each round one of them wins,
/// so this bounds the customers' writers racing for one balance, not the time a request waits.
const MAX_ATTEMPTS: u32 = 100;

const PROFILE_UNCHANGED: &str = "#version = :version";
const PROFILE_UNCHANGED_AND_ACTIVE: &str = "#version = :version AND #status = :active";
const PROFILE_UNCHANGED_ACTIVE_AND_COVERS: &str = "#version = :version AND #status = :active AND #available >= :needed";
const ITEM_IS_NEW: &str = "attribute_not_exists(#pk)";

#[derive(Debug)]
pub enum BalanceError {
    /// The change is not allowed: the balance does not cover it, the customer is not enrolled, …
    Refused(TallyError),
    /// The condition of the `n`th extra item failed (0 is the first extra item).
    ItemConflict(usize),
}

impl From<TallyError> for BalanceError {
    fn from(e: TallyError) -> Self {
        BalanceError::Refused(e)
    }
}

impl Store {
    /// Applies `change` to `customer` (as last read) together with `extra`, all or nothing.
    /// `require_active` refuses customers who are not enrolled; returns the record as written.
    pub(crate) async fn change_balance(
        &self,
        domain: &str,
        mut customer: Customer,
        change: &BalanceChange,
        extra: Vec<TransactWriteItem>,
        require_active: bool,
    ) -> Result<Customer, BalanceError> {
        for attempt in 0..MAX_ATTEMPTS {
            if require_active {
                check_enrolled(&customer)?;
            }
            if customer.available_points < change.needs() {
                let (available, required) = (customer.available_points, change.needs());
                return Err(TallyError::InsufficientPoints { available, required }.into());
            }
            let (next, entry) = customer.apply(change);
            let mut items = vec![
                self.profile_put(domain, &next, customer.version, change.needs(), require_active)?,
                self.put_new(to_item(&entry, keys::ledger(domain, entry.customer_id, entry.seq))?)?,
            ];
            items.extend(extra.iter().cloned());
            let err = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
                Ok(_) => return Ok(next),
                Err(err) => err,
            };
            let Some(reasons) = cancellation_reasons(&err) else {
                return Err(internal(err).into());
            };
            if let Some(n) = reasons.iter().skip(2).position(condition_failed) {
                return Err(BalanceError::ItemConflict(n));
            }
            customer = match reasons.first().and_then(|r| r.item()) {
                Some(current) => from_item(current.clone())?,
                None => {
                    // A concurrent transaction held the item: wait a little, then read it again.
                    tokio::time::sleep(backoff(attempt)).await;
                    let key = keys::customer(domain, customer.customer_id);
                    self.get(key).await?.ok_or(TallyError::CustomerNotFound(customer.customer_id.to_string()))?
                }
            };
        }
        tracing::warn!(shop = domain, customer_id = customer.customer_id, "balance change gave up after contention");
        Err(TallyError::Busy.into())
    }

    fn profile_put(
        &self,
        domain: &str,
        next: &Customer,
        read_version: u64,
        needed: i64,
        require_active: bool,
    ) -> Result<TransactWriteItem, TallyError> {
        let condition = match (require_active, needed > 0) {
            (false, _) => PROFILE_UNCHANGED,
            (true, false) => PROFILE_UNCHANGED_AND_ACTIVE,
            (true, true) => PROFILE_UNCHANGED_ACTIVE_AND_COVERS,
        };
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(customer_item(domain, next)?))
            .condition_expression(condition)
            .expression_attribute_names("#version", "version")
            .expression_attribute_values(":version", AttributeValue::N(read_version.to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if require_active {
            put = put
                .expression_attribute_names("#status", "status")
                .expression_attribute_values(":active", AttributeValue::S("ACTIVE".into()));
        }
        if require_active && needed > 0 {
            put = put
                .expression_attribute_names("#available", "availablePoints")
                .expression_attribute_values(":needed", AttributeValue::N(needed.to_string()));
        }
        Ok(TransactWriteItem::builder().put(put.build().map_err(TallyError::internal)?).build())
    }

    /// A transaction item that writes `item` only where nothing is yet.
    pub(crate) fn put_new(&self, item: super::Item) -> Result<TransactWriteItem, TallyError> {
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression(ITEM_IS_NEW)
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(TallyError::internal)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }
}

fn backoff(attempt: u32) -> Duration {
    let mut jitter = [0u8; 1];
    let _ = getrandom::fill(&mut jitter);
    Duration::from_millis(5 * u64::from(attempt.min(10)) + u64::from(jitter[0] % 20))
}
