//! Every change of a balance goes through here: the customer's profile, conditioned on the version it was
//! read at, and the ledger entry that records the change, in one transaction with whatever else must
//! happen with it (a reward, its code, an idempotency claim).

use std::time::Duration;

use aws_sdk_dynamodb::types::{Put, ReturnValuesOnConditionCheckFailure};

use super::keys;
use super::records::customer::{CustomerIdRecord, CustomerRecord, AVAILABLE_POINTS, STATUS, VERSION};
use super::records::ledger::LedgerRecord;
use super::records::{from_item, number, text, to_item};
use super::transaction::{Part, Transaction, TxError};
use super::Store;
use crate::domain::customer::{Applied, Customer, CustomerStatus};
use crate::domain::error::{Invalid, TallyError};
use crate::domain::ledger::{BalanceChange, LotChange};
use crate::domain::redemption::check_enrolled;
use crate::domain::Time;

/// Conflicting writers are retried at once with the record DynamoDB returns: each round one of them wins,
/// so this bounds the customers' writers racing for one balance, not the time a request waits.
const MAX_ATTEMPTS: u32 = 100;

const PROFILE_UNCHANGED: &str = "#version = :version";
const PROFILE_UNCHANGED_AND_ACTIVE: &str = "#version = :version AND #status = :active";
const PROFILE_UNCHANGED_ACTIVE_AND_COVERS: &str = "#version = :version AND #status = :active AND #available >= :needed";

#[derive(Debug)]
pub(crate) enum BalanceError {
    /// The change is not allowed: the balance does not cover it, the customer is not enrolled, …
    Refused(TallyError),
    /// The condition of this part of the transaction, besides the profile and the ledger, failed.
    Conflict(Part),
    /// The change would move nothing (lots to expire that are gone already): nothing was written.
    Nothing,
}

impl From<TallyError> for BalanceError {
    fn from(e: TallyError) -> Self {
        BalanceError::Refused(e)
    }
}

impl Store {
    /// Applies `change` to `customer` (as last read) together with what `with` adds for it (given the
    /// change as applied: the record after it and the lots it took), all or nothing, at `at`. A day's lot
    /// that the change brings is listed for the expiry job in the same transaction. `require_active`
    /// refuses customers who are not enrolled.
    pub(crate) async fn change_balance(
        &self,
        domain: &str,
        mut customer: Customer,
        change: &BalanceChange,
        with: impl Fn(&Applied) -> Result<Transaction, TallyError>,
        require_active: bool,
        at: Time,
    ) -> Result<Applied, BalanceError> {
        for attempt in 0..MAX_ATTEMPTS {
            if require_active {
                check_enrolled(&customer)?;
            }
            if customer.available_points < change.needs() {
                let (available, required) = (customer.available_points, change.needs());
                return Err(TallyError::InsufficientPoints { available, required }.into());
            }
            let applied = customer.apply(change, at).ok_or(TallyError::from(Invalid::BalanceTooLarge))?;
            if matches!(change.lots, LotChange::Expire(_)) && applied.entry.delta == 0 {
                return Err(BalanceError::Nothing);
            }
            let (next, entry) = (&applied.customer, &applied.entry);
            let mut transaction = Transaction::new();
            transaction
                .put(Part::Profile, self.profile_put(domain, next, customer.version, change.needs(), require_active)?);
            let ledger = to_item(&LedgerRecord::from(entry), keys::ledger(domain, entry.customer_id, entry.seq))?;
            transaction.put_new(&self.table, Part::Ledger, ledger)?;
            for (n, day) in new_days(&customer, next).into_iter().enumerate() {
                let listing = CustomerIdRecord { customer_id: next.customer_id };
                let item = to_item(&listing, keys::lot_listing(domain, day, next.customer_id))?;
                transaction.put(
                    Part::LotListing(n),
                    Put::builder()
                        .table_name(&self.table)
                        .set_item(Some(item))
                        .build()
                        .map_err(TallyError::internal)?,
                );
            }
            transaction.append(with(&applied)?);
            let cancelled = match transaction.commit(&self.client).await {
                Ok(()) => return Ok(applied),
                Err(TxError::Failed(e)) => return Err(e.into()),
                Err(TxError::Cancelled(cancelled)) => cancelled,
            };
            if let Some(part) = cancelled.refused_besides(&[Part::Profile, Part::Ledger]) {
                return Err(BalanceError::Conflict(part));
            }
            customer = match cancelled.item(Part::Profile) {
                Some(current) => from_item::<CustomerRecord>(current.clone())?.into(),
                None => {
                    // A concurrent transaction held the item: wait a little, then read it again.
                    tokio::time::sleep(backoff(attempt)).await;
                    self.get_customer(domain, customer.customer_id).await?.ok_or(TallyError::CustomerNotFound(
                        crate::domain::customer::CustomerRef::Id(customer.customer_id),
                    ))?
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
    ) -> Result<Put, TallyError> {
        let condition = match (require_active, needed > 0) {
            (false, _) => PROFILE_UNCHANGED,
            (true, false) => PROFILE_UNCHANGED_AND_ACTIVE,
            (true, true) => PROFILE_UNCHANGED_ACTIVE_AND_COVERS,
        };
        let mut put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&CustomerRecord::from(next), keys::customer(domain, next.customer_id))?))
            .condition_expression(condition)
            .expression_attribute_names("#version", VERSION.name())
            .expression_attribute_values(":version", number(read_version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        if require_active {
            put = put
                .expression_attribute_names("#status", STATUS.name())
                .expression_attribute_values(":active", text(CustomerStatus::Active.as_str()));
        }
        if require_active && needed > 0 {
            put = put
                .expression_attribute_names("#available", AVAILABLE_POINTS.name())
                .expression_attribute_values(":needed", number(needed));
        }
        put.build().map_err(TallyError::internal)
    }
}

/// The days (UTC) on which `after` has a lot that expires and `before` had none.
fn new_days(before: &Customer, after: &Customer) -> Vec<time::Date> {
    let days = |c: &Customer| c.lots.iter().filter_map(|l| l.expires_at.map(|at| at.date())).collect::<Vec<_>>();
    let had = days(before);
    days(after).into_iter().filter(|day| !had.contains(day)).collect()
}

fn backoff(attempt: u32) -> Duration {
    let mut jitter = [0u8; 1];
    let _ = getrandom::fill(&mut jitter);
    Duration::from_millis(5 * u64::from(attempt.min(10)) + u64::from(jitter[0] % 20))
}
