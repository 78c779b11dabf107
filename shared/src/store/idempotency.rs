//! Idempotency keys. A key's record is claimed with a lock that expires, marked with the request's
//! effect in the same transaction as the effect itself, and completed with the response.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{
    AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use serde::{Deserialize, Serialize};

use super::{from_item, internal, is_condition_failure, keys, to_item, Store};
use crate::domain::error::TallyError;

/// How long a claim holds its key: longer than any function runs (15 s), so that a live request is
/// never overtaken, short enough that a request whose Lambda died frees its key soon.
pub const LOCK_MILLIS: i64 = 30_000;
/// How long a key's answer is kept: at least 24 hours, as the contract promises.
pub const KEEP_SECONDS: i64 = 48 * 3600;

const FRESH_OR_EXPIRED: &str = "attribute_not_exists(#pk) OR #expiresAt < :nowSeconds";
const STILL_MINE: &str = "#lockToken = :token";
const MINE_WITHOUT_EFFECT: &str = "#lockToken = :token AND attribute_not_exists(#effect)";
const TAKE_OVER: &str = "#lockToken = :oldToken AND #status = :inProgress";

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct IdempotencyRecord {
    fingerprint: String,
    status: String,
    // Absent, not NULL, when empty: the conditions test `attribute_not_exists`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    lock_token: Option<String>,
    locked_until: i64,
    /// DynamoDB's TTL attribute: the item disappears some time after this.
    expires_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    effect: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    response_body: Option<String>,
}

/// A request's hold on its idempotency key.
#[derive(Debug, Clone)]
pub struct Claim {
    pub key: String,
    token: String,
}

/// What to do with a request that carries an idempotency key.
#[derive(Debug)]
pub enum Begin {
    /// First time, or a retry of a request that made no change: run it.
    Run(Claim),
    /// A retry of a request whose change was made but whose answer was lost: answer from the change.
    Resume(Claim, String),
    /// The request was answered: the same answer again.
    Replay { status: u16, body: String },
    /// The first request is still running.
    InProgress,
    /// The key was used for a different request.
    Reused,
}

impl Store {
    pub async fn begin_idempotent(&self, domain: &str, key: &str, fingerprint: &str) -> Result<Begin, TallyError> {
        let now = now_millis();
        let token = crate::domain::ids::api_key();
        let record = IdempotencyRecord {
            fingerprint: fingerprint.into(),
            status: "IN_PROGRESS".into(),
            lock_token: Some(token.clone()),
            locked_until: now + LOCK_MILLIS,
            expires_at: now / 1000 + KEEP_SECONDS,
            effect: None,
            response_status: None,
            response_body: None,
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record, keys::idempotency(domain, key))?))
            .condition_expression(FRESH_OR_EXPIRED)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#expiresAt", "expiresAt")
            .expression_attribute_values(":nowSeconds", AttributeValue::N((now / 1000).to_string()))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        let old = match put {
            Ok(_) => return Ok(Begin::Run(Claim { key: key.into(), token })),
            Err(err) => match err.as_service_error() {
                Some(PutItemError::ConditionalCheckFailedException(e)) => e.item().cloned().unwrap_or_default(),
                _ => return Err(internal(err)),
            },
        };
        let old: IdempotencyRecord = from_item(old)?;
        if old.fingerprint != fingerprint {
            return Ok(Begin::Reused);
        }
        if let (Some(status), Some(body)) = (old.response_status, old.response_body.clone()) {
            return Ok(Begin::Replay { status, body });
        }
        if old.locked_until > now {
            return Ok(Begin::InProgress);
        }
        self.take_over(domain, key, old, token, now).await
    }

    /// Claims a key whose previous holder let go or died.
    async fn take_over(
        &self,
        domain: &str,
        key: &str,
        old: IdempotencyRecord,
        token: String,
        now: i64,
    ) -> Result<Begin, TallyError> {
        let (pk, sk) = keys::idempotency(domain, key);
        let result = self
            .update_item((pk, sk))
            .condition_expression(TAKE_OVER)
            .update_expression("SET #lockToken = :token, #lockedUntil = :until")
            .expression_attribute_names("#lockToken", "lockToken")
            .expression_attribute_names("#lockedUntil", "lockedUntil")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":oldToken", AttributeValue::S(old.lock_token.unwrap_or_default()))
            .expression_attribute_values(":inProgress", AttributeValue::S("IN_PROGRESS".into()))
            .expression_attribute_values(":token", AttributeValue::S(token.clone()))
            .expression_attribute_values(":until", AttributeValue::N((now + LOCK_MILLIS).to_string()))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        let claim = Claim { key: key.into(), token };
        match result {
            Ok(_) => Ok(match old.effect {
                Some(effect) => Begin::Resume(claim, effect),
                None => Begin::Run(claim),
            }),
            Err(err) if is_condition_failure(&err) => Ok(Begin::InProgress),
            Err(err) => Err(internal(err)),
        }
    }

    /// Keeps the answer for retries.
    pub async fn finish_idempotent(
        &self,
        domain: &str,
        claim: &Claim,
        status: u16,
        body: &str,
    ) -> Result<(), TallyError> {
        let (pk, sk) = keys::idempotency(domain, &claim.key);
        self.update_item((pk, sk))
            .condition_expression(STILL_MINE)
            .update_expression(
                "SET #status = :completed, #responseStatus = :status, #responseBody = :body REMOVE #lockToken",
            )
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#responseStatus", "responseStatus")
            .expression_attribute_names("#responseBody", "responseBody")
            .expression_attribute_names("#lockToken", "lockToken")
            .expression_attribute_values(":completed", AttributeValue::S("COMPLETED".into()))
            .expression_attribute_values(":status", AttributeValue::N(status.to_string()))
            .expression_attribute_values(":body", AttributeValue::S(body.into()))
            .expression_attribute_values(":token", AttributeValue::S(claim.token.clone()))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Lets a retry in at once, without an answer to replay: it resumes from the effect, if any.
    pub async fn release_idempotent(&self, domain: &str, claim: &Claim) -> Result<(), TallyError> {
        let (pk, sk) = keys::idempotency(domain, &claim.key);
        let result = self
            .update_item((pk, sk))
            .condition_expression(STILL_MINE)
            .update_expression("SET #lockedUntil = :zero")
            .expression_attribute_names("#lockToken", "lockToken")
            .expression_attribute_names("#lockedUntil", "lockedUntil")
            .expression_attribute_values(":zero", AttributeValue::N("0".into()))
            .expression_attribute_values(":token", AttributeValue::S(claim.token.clone()))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Ok(()),
            Err(err) => Err(internal(err)),
        }
    }

    /// The transaction item that records `effect` as done under this claim; it fails if the claim was lost.
    pub(crate) fn claim_effect(
        &self,
        domain: &str,
        claim: &Claim,
        effect: &str,
    ) -> Result<TransactWriteItem, TallyError> {
        let (pk, sk) = keys::idempotency(domain, &claim.key);
        let update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression(MINE_WITHOUT_EFFECT)
            .update_expression("SET #effect = :effect")
            .expression_attribute_names("#lockToken", "lockToken")
            .expression_attribute_names("#effect", "effect")
            .expression_attribute_values(":token", AttributeValue::S(claim.token.clone()))
            .expression_attribute_values(":effect", AttributeValue::S(effect.into()))
            .build()
            .map_err(TallyError::internal)?;
        Ok(TransactWriteItem::builder().update(update).build())
    }
}

fn now_millis() -> i64 {
    (time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}
