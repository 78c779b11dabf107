//! An idempotency key's item: the request's fingerprint, the claim on it, its effect and its answer.

use serde::{Deserialize, Serialize};

use super::Attribute;
use tally_domain::vocabulary;

pub const STATUS: Attribute = Attribute("status");
pub const LOCK_TOKEN: Attribute = Attribute("lockToken");
pub const LOCKED_UNTIL: Attribute = Attribute("lockedUntil");
pub const EFFECT: Attribute = Attribute("effect");
pub const RESPONSE_STATUS: Attribute = Attribute("responseStatus");
pub const RESPONSE_BODY: Attribute = Attribute("responseBody");

vocabulary! {
    pub enum KeyStatus {
        InProgress = "IN_PROGRESS",
        Completed = "COMPLETED",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IdempotencyRecord {
    pub fingerprint: String,
    pub status: KeyStatus,
    /// Absent, not NULL, when empty: the conditions test `attribute_not_exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lock_token: Option<String>,
    /// Milliseconds since the Unix epoch.
    pub locked_until: i64,
    /// DynamoDB's TTL attribute (`EXPIRES_AT`): seconds since the Unix epoch.
    pub expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let record = IdempotencyRecord {
            fingerprint: "f".into(),
            status: KeyStatus::Completed,
            lock_token: Some("t".into()),
            locked_until: 0,
            expires_at: 0,
            effect: Some("balance:1".into()),
            response_status: Some(200),
            response_body: Some("{}".into()),
        };
        super::super::check::written_under(
            &record,
            &[STATUS, LOCK_TOKEN, LOCKED_UNTIL, EFFECT, RESPONSE_STATUS, RESPONSE_BODY, super::super::EXPIRES_AT],
        );
    }
}
