//! Idempotency keys. A free key is only read when its request begins: its record is created, with a lock
//! that expires and the request's effect, in the same transaction as the effect itself (`commit`), then
//! completed with the answer, unless the record holds the answer promised (`Promise`, deflated) from the
//! start. A request that made no effect leaves its key free: there is nothing to protect, and its answer (a
//! refusal, an outage) may not be the answer once the cause is gone.

use tally_app::ports::store::{
    Answer, Begin, Claim, Idempotency, NewKey, Promise, StoreResult, Taking, CLAIM_MILLIS, KEEP_ANSWER_SECONDS,
};
use tally_domain::effect::Effect;
use tally_domain::Time;

use crate::errors::{written, Written};
use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::records::idempotency::{
    deflate, IdempotencyRecord, KeyStatus, EFFECT, LOCKED_UNTIL, LOCK_TOKEN, PROMISE, RESPONSE_BODY,
    RESPONSE_BODY_DEFLATED, RESPONSE_STATUS, STATUS,
};
use crate::records::{corrupt, number, text, PK, SK};
use crate::{keys, ShopTable};

const STILL_MINE: &str = "#lockToken = :token";
const MINE_WITHOUT_EFFECT: &str = "#lockToken = :token AND attribute_not_exists(#effect)";
const MINE_WITH_EFFECT: &str = "#lockToken = :token AND attribute_exists(#effect)";
const TAKE_OVER: &str = "#lockToken = :oldToken AND #status = :inProgress";

impl ShopTable<'_> {
    fn key_update(&self, key: &str) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let (pk, sk) = keys::idempotency(self.domain, key);
        self.store.client.update_item().table_name(&self.store.table).key(PK.name(), text(pk)).key(SK.name(), text(sk))
    }

    /// Claims a key whose previous holder let go or died.
    async fn take_over(&self, key: &str, old: IdempotencyRecord, token: &str, now: i64) -> StoreResult<Begin> {
        let result = self
            .key_update(key)
            .condition_expression(TAKE_OVER)
            // A promise not kept goes: the request taking over answers, and keeps its answer.
            .update_expression("SET #lockToken = :token, #lockedUntil = :until REMOVE #promise")
            .expression_attribute_names("#promise", PROMISE.name())
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_values(":oldToken", text(old.lock_token.unwrap_or_default()))
            .expression_attribute_values(":inProgress", text(KeyStatus::InProgress.as_str()))
            .expression_attribute_values(":token", text(token))
            .expression_attribute_values(":until", number(now + CLAIM_MILLIS))
            .send()
            .await;
        if written(result)? == Written::Refused {
            return Ok(Begin::InProgress);
        }
        let claim = Claim { key: key.into(), token: token.into(), taking: Taking::Held };
        Ok(match old.effect {
            Some(effect) => Begin::Resume(claim, effect.parse().map_err(|e| corrupt(format!("{e}")))?),
            None => Begin::Run(claim),
        })
    }

    /// What `key` holds for a request under it; a promise is an answer to look at unless it was found not
    /// kept.
    async fn begin_as(
        &self,
        key: &str,
        fingerprint: &str,
        token: &str,
        now: Time,
        promises: Promises,
    ) -> StoreResult<Begin> {
        let now = millis(now);
        let old: Option<IdempotencyRecord> = self.store.get(keys::idempotency(self.domain, key)).await?;
        let Some(old) = old.filter(|old| old.expires_at >= now / 1000) else {
            let new = NewKey {
                fingerprint: fingerprint.into(),
                locked_until_ms: now + CLAIM_MILLIS,
                expires_at_s: now / 1000 + KEEP_ANSWER_SECONDS,
                now_s: now / 1000,
            };
            return Ok(Begin::Run(Claim { key: key.into(), token: token.into(), taking: Taking::Fresh(new) }));
        };
        if old.fingerprint != fingerprint {
            return Ok(Begin::Reused);
        }
        if let (Some(status), Some(body)) = (old.response_status, old.body()) {
            return Ok(Begin::Replay(Answer { status, body: body? }));
        }
        if let (Promises::Answer, Some(effect), Some(body)) = (promises, &old.effect, old.promise()) {
            let effect = effect.parse().map_err(|e| corrupt(format!("{e}")))?;
            return Ok(Begin::Promised { promise: Promise { body: body? }, effect });
        }
        if old.locked_until > now {
            return Ok(Begin::InProgress);
        }
        self.take_over(key, old, token, now).await
    }

    /// Frees a key whose request made no effect; `false` when it made one (or the claim was lost).
    async fn forget(&self, claim: &Claim) -> StoreResult<bool> {
        let (pk, sk) = keys::idempotency(self.domain, &claim.key);
        let result = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression(MINE_WITHOUT_EFFECT)
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_values(":token", text(&claim.token))
            .send()
            .await;
        Ok(written(result)? == Written::Done)
    }
}

impl Idempotency for ShopTable<'_> {
    async fn begin(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> StoreResult<Begin> {
        self.begin_as(key, fingerprint, token, now, Promises::Answer).await
    }

    async fn begin_unpromised(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> StoreResult<Begin> {
        self.begin_as(key, fingerprint, token, now, Promises::NotKept).await
    }

    async fn finish(&self, claim: &Claim, answer: &Answer) -> StoreResult<()> {
        let result = self
            .key_update(&claim.key)
            .condition_expression(MINE_WITH_EFFECT)
            .update_expression(
                "SET #status = :completed, #responseStatus = :status, #body = :body REMOVE #plainBody, #promise",
            )
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#responseStatus", RESPONSE_STATUS.name())
            .expression_attribute_names("#body", RESPONSE_BODY_DEFLATED.name())
            .expression_attribute_names("#plainBody", RESPONSE_BODY.name())
            .expression_attribute_names("#promise", PROMISE.name())
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_values(":completed", text(KeyStatus::Completed.as_str()))
            .expression_attribute_values(":status", number(answer.status))
            .expression_attribute_values(":body", AttributeValue::B(Blob::new(deflate(&answer.body))))
            .expression_attribute_values(":token", text(&claim.token))
            .send()
            .await;
        // A claim taken over that made no effect holds a record to free; a fresh one wrote none.
        if written(result)? == Written::Refused && claim.taking == Taking::Held {
            self.forget(claim).await?;
        }
        Ok(())
    }

    async fn release(&self, claim: &Claim) -> StoreResult<()> {
        // A fresh claim's record, if there is one, holds the effect that created it: nothing to free.
        if claim.taking == Taking::Held {
            match self.forget(claim).await {
                Ok(true) => return Ok(()),
                Ok(false) => {}
                // Letting the key go matters more: a retry must not wait for the lock.
                Err(e) => tracing::warn!(error = %e, "could not free an idempotency key; letting it go instead"),
            }
        }
        let result = self
            .key_update(&claim.key)
            .condition_expression(STILL_MINE)
            // An answer kept (or promised) before, and found to be wrong since, goes too: the retry resumes instead.
            .update_expression(
                "SET #lockedUntil = :zero, #status = :inProgress REMOVE #responseStatus, #responseBody, #body, #promise",
            )
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#responseStatus", RESPONSE_STATUS.name())
            .expression_attribute_names("#responseBody", RESPONSE_BODY.name())
            .expression_attribute_names("#body", RESPONSE_BODY_DEFLATED.name())
            .expression_attribute_names("#promise", PROMISE.name())
            .expression_attribute_values(":inProgress", text(KeyStatus::InProgress.as_str()))
            .expression_attribute_values(":zero", number(0))
            .expression_attribute_values(":token", text(&claim.token))
            .send()
            .await;
        written(result).map(|_| ())
    }

    fn promise_fits(&self, claim: &Claim, effect: &Effect, promise: &Promise) -> bool {
        let Taking::Fresh(new) = &claim.taking else { return false };
        let record = new_record(claim, new, effect, Some(promise));
        crate::records::to_item(&record, keys::idempotency(self.domain, &claim.key))
            .is_ok_and(|item| bytes(&item) <= WRITE_UNIT_BYTES)
    }

    /// The claim's record without its effect, if the claim is still this request's.
    async fn restart(&self, claim: &Claim) -> StoreResult<bool> {
        let (pk, sk) = keys::idempotency(self.domain, &claim.key);
        let result = self
            .store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .update_expression("REMOVE #effect, #promise")
            .condition_expression(MINE_WITH_EFFECT)
            .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
            .expression_attribute_names("#effect", EFFECT.name())
            .expression_attribute_names("#promise", PROMISE.name())
            .expression_attribute_values(":token", text(&claim.token))
            .send()
            .await;
        Ok(written(result)? == Written::Done)
    }
}

/// The record a fresh claim creates with its request's effect (and the answer it promises).
pub(crate) fn new_record(claim: &Claim, new: &NewKey, effect: &Effect, promise: Option<&Promise>) -> IdempotencyRecord {
    IdempotencyRecord {
        fingerprint: new.fingerprint.clone(),
        status: KeyStatus::InProgress,
        lock_token: Some(claim.token.clone()),
        locked_until: new.locked_until_ms,
        expires_at: new.expires_at_s,
        effect: Some(effect.to_string()),
        response_status: None,
        response_body: None,
        response_body_deflated: None,
        promise_deflated: promise.map(|p| serde_bytes::ByteBuf::from(deflate(&p.body))),
    }
}

/// One write unit: 1 KB of names and values.
const WRITE_UNIT_BYTES: usize = 1024;

/// An item's size as DynamoDB counts it, or more: names and values, a number at its digits.
fn bytes(item: &crate::records::Item) -> usize {
    let value = |v: &AttributeValue| match v {
        AttributeValue::S(s) | AttributeValue::N(s) => s.len(),
        AttributeValue::B(b) => b.as_ref().len(),
        _ => WRITE_UNIT_BYTES,
    };
    item.iter().map(|(name, v)| name.len() + value(v)).sum()
}

/// Whether a key's promise is an answer to look at, or was found not kept.
#[derive(Clone, Copy)]
enum Promises {
    Answer,
    NotKept,
}

fn millis(t: Time) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}
