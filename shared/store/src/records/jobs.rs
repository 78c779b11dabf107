//! A scheduled job's lock item.

use serde::{Deserialize, Serialize};

use super::Attribute;

pub const TOKEN: Attribute = Attribute("token");
pub const LOCKED_UNTIL: Attribute = Attribute("lockedUntil");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobLockRecord {
    pub token: String,
    /// Seconds since the Unix epoch.
    pub locked_until: i64,
    /// DynamoDB's TTL attribute (`EXPIRES_AT`).
    pub expires_at: i64,
}

/// How far a shop's journal of redemptions was read (`Listings::journal_read_to`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JournalReadRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub read_to: tally_domain::Time,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let record = JobLockRecord { token: "t".into(), locked_until: 1, expires_at: 2 };
        super::super::check::written_under(&record, &[TOKEN, LOCKED_UNTIL, super::super::EXPIRES_AT]);
    }
}
