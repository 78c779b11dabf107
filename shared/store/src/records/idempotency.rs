//! An idempotency key's item: the request's fingerprint, the claim on it, its effect and its answer.

use serde::{Deserialize, Serialize};
use tally_app::ports::StoreError;

use super::Attribute;
use tally_domain::vocabulary;

pub const STATUS: Attribute = Attribute("status");
pub const LOCK_TOKEN: Attribute = Attribute("lockToken");
pub const LOCKED_UNTIL: Attribute = Attribute("lockedUntil");
pub const EFFECT: Attribute = Attribute("effect");
pub const RESPONSE_STATUS: Attribute = Attribute("responseStatus");
pub const RESPONSE_BODY: Attribute = Attribute("responseBody");
pub const RESPONSE_BODY_DEFLATED: Attribute = Attribute("responseBodyZ");
pub const PROMISE: Attribute = Attribute("promiseZ");

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
    /// The answer's body as kept before bodies were deflated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_body: Option<String>,
    /// The answer's body, deflated (`records::answer`).
    #[serde(default, rename = "responseBodyZ", skip_serializing_if = "Option::is_none")]
    pub response_body_deflated: Option<serde_bytes::ByteBuf>,
    /// The answer promised if the effect's reward is issued (`Promise`), its body deflated.
    #[serde(default, rename = "promiseZ", skip_serializing_if = "Option::is_none")]
    pub promise_deflated: Option<serde_bytes::ByteBuf>,
}

impl IdempotencyRecord {
    /// The kept answer's body, if there is one and it reads.
    pub fn body(&self) -> Option<Result<String, StoreError>> {
        match (&self.response_body_deflated, &self.response_body) {
            (Some(deflated), _) => Some(inflate(deflated)),
            (None, Some(body)) => Some(Ok(body.clone())),
            (None, None) => None,
        }
    }

    /// The promised answer's body, if there is one and it reads.
    pub fn promise(&self) -> Option<Result<String, StoreError>> {
        self.promise_deflated.as_ref().map(|deflated| inflate(deflated))
    }
}

/// The most a kept answer inflates to: far more than any body Tally sends (a body is at most a page of 100
/// rewards), so that a corrupt item cannot take the Lambda's memory.
const MOST_INFLATED: usize = 4 << 20;

/// A body as kept: deflated (JSON shrinks to about a third).
pub fn deflate(body: &str) -> Vec<u8> {
    miniz_oxide::deflate::compress_to_vec(body.as_bytes(), 6)
}

fn inflate(deflated: &[u8]) -> Result<String, StoreError> {
    let bytes = miniz_oxide::inflate::decompress_to_vec_with_limit(deflated, MOST_INFLATED)
        .map_err(|_| super::corrupt("a kept answer that does not inflate"))?;
    String::from_utf8(bytes).map_err(|_| super::corrupt("a kept answer that is not text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_body_inflates_to_itself_and_a_corrupt_one_is_an_error() {
        let body = r#"{"availablePoints":2000,"rewards":[{"id":1,"status":"UNUSED"},{"id":2,"status":"UNUSED"}]}"#;
        let record = |deflated: Vec<u8>| IdempotencyRecord {
            fingerprint: "f".into(),
            status: KeyStatus::Completed,
            lock_token: None,
            locked_until: 0,
            expires_at: 0,
            effect: None,
            response_status: Some(200),
            response_body: None,
            response_body_deflated: Some(serde_bytes::ByteBuf::from(deflated)),
            promise_deflated: None,
        };
        assert_eq!(record(deflate(body)).body(), Some(Ok(body.to_string())));
        assert!(matches!(record(vec![1, 2, 3]).body(), Some(Err(_))));
        let before =
            IdempotencyRecord { response_body: Some(body.into()), response_body_deflated: None, ..record(vec![]) };
        assert_eq!(before.body(), Some(Ok(body.to_string())), "an answer kept before bodies were deflated");
    }

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
            response_body_deflated: Some(serde_bytes::ByteBuf::from(deflate("{}"))),
            promise_deflated: Some(serde_bytes::ByteBuf::from(deflate("{}"))),
        };
        super::super::check::written_under(
            &record,
            &[
                STATUS,
                LOCK_TOKEN,
                LOCKED_UNTIL,
                EFFECT,
                RESPONSE_STATUS,
                RESPONSE_BODY,
                RESPONSE_BODY_DEFLATED,
                PROMISE,
                super::super::EXPIRES_AT,
            ],
        );
    }
}
