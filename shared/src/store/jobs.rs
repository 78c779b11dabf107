//! A scheduled job's lock: one run at a time, freed when the run ends or when its time is up.

use super::errors::{internal, written};
use super::records::jobs::{JobLockRecord, LOCKED_UNTIL, TOKEN};
use super::records::{number, text, to_item, PK, SK};
use super::{keys, Store};
use crate::domain::error::TallyError;
use crate::domain::Time;

const FREE_OR_EXPIRED: &str = "attribute_not_exists(#pk) OR #lockedUntil < :now";

/// A run's hold on its job.
#[derive(Debug, Clone)]
pub struct JobLock {
    job: String,
    token: String,
}

impl Store {
    /// Takes the job's lock until `until`; `None` when another run holds it.
    pub async fn lock_job(&self, job: &str, now: Time, until: Time) -> Result<Option<JobLock>, TallyError> {
        let token = crate::domain::ids::api_key();
        let record = JobLockRecord {
            token: token.clone(),
            locked_until: until.unix_timestamp(),
            // Gone some time after it lapses, by the table's TTL.
            expires_at: until.unix_timestamp() + 24 * 3600,
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record, keys::job(job))?))
            .condition_expression(FREE_OR_EXPIRED)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_values(":now", number(now.unix_timestamp()))
            .send()
            .await;
        Ok(written(put)?.then(|| JobLock { job: job.into(), token }))
    }

    /// Frees the job for the next run.
    pub async fn unlock_job(&self, lock: &JobLock) -> Result<(), TallyError> {
        let (pk, sk) = keys::job(&lock.job);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", TOKEN.name())
            .expression_attribute_values(":token", text(lock.token.clone()))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }
}
