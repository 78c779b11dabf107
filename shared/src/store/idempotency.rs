//! Idempotency keys. A key's record is claimed with a lock that expires, marked with the request's
//! effect in the same transaction as the effect itself, and completed with the answer. A request that made
//! no effect frees its key: there is nothing to protect, and its answer (a refusal, an outage) may not be
//! the answer once the cause is gone.

use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::types::{ReturnValuesOnConditionCheckFailure, Update};

use super::errors::{internal, written};
use super::records::idempotency::{
    IdempotencyRecord, KeyStatus, EFFECT, LOCKED_UNTIL, LOCK_TOKEN, RESPONSE_BODY, RESPONSE_STATUS, STATUS,
};
use super::records::{from_item, number, text, to_item, EXPIRES_AT, PK, SK};
use super::{keys, Store};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::Time;

/// How long a claim holds its key: longer than any function runs (15 s), so that a live request is
/// never overtaken, short enough that a request whose Lambda died frees its key soon.
pub const LOCK_MILLIS: i64 = 30_000;
/// How long a key's answer is kept: at least 24 hours, as the contract promises.
pub const KEEP_SECONDS: i64 = 48 * 3600;

const FRESH_OR_EXPIRED: &str = "attribute_not_exists(#pk) OR #expiresAt < :nowSeconds";
const STILL_MINE: &str = "#lockToken = :token";
const MINE_WITHOUT_EFFECT: &str = "#lockToken = :token AND attribute_not_exists(#effect)";
const MINE_WITH_EFFECT: &str = "#lockToken = :token AND attribute_exists(#effect)";
const TAKE_OVER: &str = "#lockToken = :oldToken AND #status = :inProgress";

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
    Resume(Claim, Effect),
    /// The request was answered: the same answer again.
    Replay { status: u16, body: String },
    /// The first request is still running.
    InProgress,
    /// The key was used for a different request.
    Reused,
}

impl Store {
    pub async fn begin_idempotent(
        &self,
        domain: &str,
        key: &str,
        fingerprint: &str,
        now: Time,
    ) -> Result<Begin, TallyError> {
        let now = millis(now);
        let token = crate::domain::ids::api_key();
        let record = IdempotencyRecord {
            fingerprint: fingerprint.into(),
            status: KeyStatus::InProgress,
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
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#expiresAt", EXPIRES_AT.name())
            .expression_attribute_values(":nowSeconds", number(now / 1000))
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
        let result = self
            .update_item(keys::idempotency(domain, key))
            .condition_expression(TAKE_OVER)
            .update_expression("SET #lockToken = :token, #lockedUntil = :until")
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_values(":oldToken", text(old.lock_token.unwrap_or_default()))
            .expression_attribute_values(":inProgress", text(KeyStatus::InProgress.as_str()))
            .expression_attribute_values(":token", text(token.clone()))
            .expression_attribute_values(":until", number(now + LOCK_MILLIS))
            .send()
            .await;
        if !written(result)? {
            return Ok(Begin::InProgress);
        }
        let claim = Claim { key: key.into(), token };
        Ok(match old.effect {
            Some(effect) => Begin::Resume(claim, effect.parse().map_err(TallyError::internal)?),
            None => Begin::Run(claim),
        })
    }

    /// Keeps the answer for retries, if the request made an effect; `false` when it made none, and the key
    /// was freed instead.
    pub async fn finish_idempotent(
        &self,
        domain: &str,
        claim: &Claim,
        status: u16,
        body: &str,
    ) -> Result<bool, TallyError> {
        let result = self
            .update_item(keys::idempotency(domain, &claim.key))
            .condition_expression(MINE_WITH_EFFECT)
            .update_expression(
                "SET #status = :completed, #responseStatus = :status, #responseBody = :body REMOVE #lockToken",
            )
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#responseStatus", RESPONSE_STATUS.name())
            .expression_attribute_names("#responseBody", RESPONSE_BODY.name())
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_values(":completed", text(KeyStatus::Completed.as_str()))
            .expression_attribute_values(":status", number(status))
            .expression_attribute_values(":body", text(body))
            .expression_attribute_values(":token", text(claim.token.clone()))
            .send()
            .await;
        if written(result)? {
            return Ok(true);
        }
        self.forget_idempotent(domain, claim).await?;
        Ok(false)
    }

    /// Lets a retry in at once, without an answer to replay: it resumes from the effect if there is one, and
    /// runs afresh (the key freed) if there is none.
    pub async fn release_idempotent(&self, domain: &str, claim: &Claim) -> Result<(), TallyError> {
        match self.forget_idempotent(domain, claim).await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            // Letting the key go matters more: a retry must not wait for the lock.
            Err(e) => tracing::warn!(error = %e, "could not free an idempotency key; letting it go instead"),
        }
        let result = self
            .update_item(keys::idempotency(domain, &claim.key))
            .condition_expression(STILL_MINE)
            .update_expression("SET #lockedUntil = :zero")
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":token", text(claim.token.clone()))
            .send()
            .await;
        written(result).map(|_| ())
    }

    /// Frees a key whose request made no effect; `false` when it made one (or the claim was lost).
    async fn forget_idempotent(&self, domain: &str, claim: &Claim) -> Result<bool, TallyError> {
        let (pk, sk) = keys::idempotency(domain, &claim.key);
        let result = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression(MINE_WITHOUT_EFFECT)
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_values(":token", text(claim.token.clone()))
            .send()
            .await;
        written(result)
    }

    /// The transaction item that records `effect` as done under this claim; it fails if the claim was lost.
    pub(crate) fn claim_effect(&self, domain: &str, claim: &Claim, effect: &Effect) -> Result<Update, TallyError> {
        let (pk, sk) = keys::idempotency(domain, &claim.key);
        Update::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression(MINE_WITHOUT_EFFECT)
            .update_expression("SET #effect = :effect")
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_values(":token", text(claim.token.clone()))
            .expression_attribute_values(":effect", text(effect.to_string()))
            .build()
            .map_err(TallyError::internal)
    }
}

fn millis(t: Time) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}
