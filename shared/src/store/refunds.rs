//! An unused reward taken back at the shop's request, in three steps: the request is written on the
//! reward (and listed, for reconciliation), the code is deactivated in Shopify, then one transaction makes
//! the reward `REFUNDED` with its points returned. A refund that stops between the steps is finished or
//! abandoned by reconciliation, from what Shopify holds.

use aws_sdk_dynamodb::types::AttributeValue;

use super::errors::written;
use super::idempotency::Claim;
use super::records::reward::{POINTS_RETURNED, REFUNDED_AT, REFUND_REASON, REFUND_REQUESTED_AT, STATUS};
use super::records::{rfc3339, text, GSI1PK, GSI1SK};
use super::rewards::rewards;
use super::transaction::{Part, Transaction};
use super::transitions::Transition;
use super::{keys, SortKey, Store};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::reward::{Reward, RewardStatus};
use crate::domain::Time;

impl Store {
    /// Writes the shop's request on an unused reward, before its code is touched. `Ok(false)` when the
    /// reward is no longer unused, or another refund of it began after `stale_before` and may still run.
    pub async fn begin_refund(
        &self,
        domain: &str,
        reward: &Reward,
        reason: &str,
        at: Time,
        stale_before: Time,
    ) -> Result<bool, TallyError> {
        let (gpk, gsk) = keys::refunding_listing(domain, at, reward.id);
        let result = self
            .update_item(keys::reward(domain, reward.customer_id, reward.id))
            .condition_expression("#status = :unused AND (attribute_not_exists(#requested) OR #requested < :stale)")
            .update_expression("SET #reason = :reason, #requested = :at, #gpk = :gpk, #gsk = :gsk")
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#reason", REFUND_REASON.name())
            .expression_attribute_names("#requested", REFUND_REQUESTED_AT.name())
            .expression_attribute_names("#gpk", GSI1PK.name())
            .expression_attribute_names("#gsk", GSI1SK.name())
            .expression_attribute_values(":unused", text(RewardStatus::Unused.as_str()))
            .expression_attribute_values(":stale", text(rfc3339(stale_before)))
            .expression_attribute_values(":reason", text(reason))
            .expression_attribute_values(":at", text(rfc3339(at)))
            .expression_attribute_values(":gpk", text(gpk))
            .expression_attribute_values(":gsk", text(gsk))
            .send()
            .await;
        written(result)
    }

    /// Takes back the request written at `requested_at` (and no other): the code was not deactivated, so
    /// the reward stays as it was, listed again for expiry.
    pub async fn abandon_refund(&self, domain: &str, reward: &Reward, requested_at: Time) -> Result<bool, TallyError> {
        let mut update = self
            .update_item(keys::reward(domain, reward.customer_id, reward.id))
            .condition_expression("#status = :unused AND #requested = :mine")
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#reason", REFUND_REASON.name())
            .expression_attribute_names("#requested", REFUND_REQUESTED_AT.name())
            .expression_attribute_names("#gpk", GSI1PK.name())
            .expression_attribute_names("#gsk", GSI1SK.name())
            .expression_attribute_values(":unused", text(RewardStatus::Unused.as_str()))
            .expression_attribute_values(":mine", text(rfc3339(requested_at)));
        update = match reward.expire_date {
            Some(end) => {
                let (gpk, gsk) = keys::expiring_listing(domain, end, reward.id);
                update
                    .update_expression("SET #gpk = :gpk, #gsk = :gsk REMOVE #reason, #requested")
                    .expression_attribute_values(":gpk", text(gpk))
                    .expression_attribute_values(":gsk", text(gsk))
            }
            None => update.update_expression("REMOVE #reason, #requested, #gpk, #gsk"),
        };
        written(update.send().await)
    }

    /// The unused reward, its code deactivated, becomes `REFUNDED` with its points returned or its
    /// reservation released, with the request's idempotency claim. `Ok(false)` when the reward is no longer
    /// unused (an order used it, or another refund won).
    pub async fn refund_reward(
        &self,
        domain: &str,
        reward: &Reward,
        reason: &str,
        claim: Option<&Claim>,
        at: Time,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(true)), (REFUNDED_AT, text(rfc3339(at)))],
            remove: vec![REFUND_REASON, REFUND_REQUESTED_AT],
            ..Transition::to(&[RewardStatus::Unused], RewardStatus::Refunded)
        };
        let mut with = Transaction::new();
        with.update(Part::Reward, self.transition(domain, reward, transition)?);
        if let Some(claim) = claim {
            let effect = Effect::Refund { customer_id: reward.customer_id, reward_id: reward.id };
            with.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
        }
        self.change_with_reward(domain, reward, &reward.points_back(reason), with, at).await
    }

    /// The shop's refunds begun at or before `before` and not finished.
    pub async fn refunds_in_progress(&self, domain: &str, before: Time) -> Result<Vec<Reward>, TallyError> {
        let (pk, low, high) = keys::refunding_until(domain, before);
        rewards(self.query_listing(pk, SortKey::Between(&low, &high)).await?)
    }

    /// A change of the reward alone, without a balance change.
    pub(crate) async fn update_reward(
        &self,
        domain: &str,
        reward: &Reward,
        transition: Transition<'_>,
    ) -> Result<bool, TallyError> {
        let update = self.transition(domain, reward, transition)?;
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(update.key))
            .update_expression(update.update_expression)
            .set_condition_expression(update.condition_expression)
            .set_expression_attribute_names(update.expression_attribute_names)
            .set_expression_attribute_values(update.expression_attribute_values)
            .send()
            .await;
        written(result)
    }
}
