//! A reward's status changes: each conditioned on the statuses it may come from, and made in one
//! transaction with the balance change it brings, if any. What orders, expiry and refunds do to rewards.

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::balance::BalanceError;
use super::errors::written;
use super::idempotency::Claim;
use super::records::reward::{ORDER_ID, ORDER_NAME, POINTS_RETURNED, REFUNDED_AT, STATUS, USED_AT};
use super::records::{number, rfc3339, text, Attribute, GSI1PK, GSI1SK, PK, SK};
use super::transaction::{Part, Transaction};
use super::{keys, Store};
use crate::domain::customer::CustomerRef;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::order::Order;
use crate::domain::reward::{DeductionMode, Reward, RewardStatus};
use crate::domain::Time;

/// A change of a reward's status, conditioned on the statuses it may come from.
pub(crate) struct Transition<'a> {
    pub from: &'a [RewardStatus],
    pub to: RewardStatus,
    /// Further attributes to set, with their values.
    pub set: Vec<(Attribute, AttributeValue)>,
    /// An extra condition: this attribute has this value (the order that used the reward, say).
    pub also: Option<(Attribute, AttributeValue)>,
    /// Where the reward is listed in `GSI1` afterwards; `None` takes it out of the index.
    pub listing: Option<String>,
}

impl Store {
    fn transition(&self, domain: &str, reward: &Reward, t: Transition<'_>) -> Result<Update, TallyError> {
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let from: Vec<String> = (0..t.from.len()).map(|i| format!(":from{i}")).collect();
        let mut condition = format!("#status IN ({})", from.join(", "));
        let mut sets = vec!["#status = :to".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_values(":to", text(t.to.as_str()));
        for (name, status) in from.iter().zip(t.from) {
            update = update.expression_attribute_values(name, text(status.as_str()));
        }
        for (i, (attribute, value)) in t.set.into_iter().enumerate() {
            sets.push(format!("#set{i} = :set{i}"));
            update = update
                .expression_attribute_names(format!("#set{i}"), attribute.name())
                .expression_attribute_values(format!(":set{i}"), value);
        }
        if let Some((attribute, value)) = t.also {
            condition.push_str(" AND #also = :also");
            update = update
                .expression_attribute_names("#also", attribute.name())
                .expression_attribute_values(":also", value);
        }
        let expression = match t.listing {
            Some(listing) => {
                update = update.expression_attribute_values(":listing", text(listing));
                format!("SET {}, #gsk = :listing", sets.join(", "))
            }
            None => {
                update = update.expression_attribute_names("#gpk", GSI1PK.name());
                format!("SET {} REMOVE #gpk, #gsk", sets.join(", "))
            }
        };
        update
            .expression_attribute_names("#gsk", GSI1SK.name())
            .condition_expression(condition)
            .update_expression(expression)
            .build()
            .map_err(TallyError::internal)
    }

    /// Applies `transition` to the reward, with `change` to its customer's balance when there is one, all
    /// at once. `Ok(false)` when the reward was not in a state to make it (already done, or not possible).
    pub(crate) async fn transition_with_balance(
        &self,
        domain: &str,
        reward: &Reward,
        transition: Transition<'_>,
        change: Option<BalanceChange>,
        at: Time,
    ) -> Result<bool, TallyError> {
        let update = self.transition(domain, reward, transition)?;
        let Some(change) = change else {
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
            return written(result);
        };
        let mut with = Transaction::new();
        with.update(Part::Reward, update);
        self.change_with_reward(domain, reward, &change, with, at).await
    }

    /// The reward's update (and an idempotency claim, if any) with the balance change, in one transaction.
    async fn change_with_reward(
        &self,
        domain: &str,
        reward: &Reward,
        change: &BalanceChange,
        with: Transaction,
        at: Time,
    ) -> Result<bool, TallyError> {
        let customer = self
            .get_customer(domain, reward.customer_id)
            .await?
            .ok_or(TallyError::CustomerNotFound(CustomerRef::Id(reward.customer_id)))?;
        match self.change_balance(domain, customer, change, with, false, at).await {
            Ok(_) => Ok(true),
            Err(BalanceError::Conflict(Part::Reward)) => Ok(false),
            Err(BalanceError::Conflict(_)) => Err(super::claim_lost()),
            Err(BalanceError::Refused(e)) => Err(e),
        }
    }

    /// An order used the reward's code: it is `USED`, with the order; an `ON_ORDER` reservation is paid.
    /// `Ok(false)` when it was used already (another delivery of the order) or cannot be used.
    pub async fn use_reward(&self, domain: &str, reward: &Reward, order: &Order, at: Time) -> Result<bool, TallyError> {
        let transition = Transition {
            from: &[RewardStatus::Unused, RewardStatus::Pending],
            to: RewardStatus::Used,
            set: vec![(USED_AT, text(rfc3339(at))), (ORDER_ID, number(order.id)), (ORDER_NAME, text(&order.name))],
            also: None,
            listing: None,
        };
        let reason = format!("paid by order {}", order.name);
        let change = (reward.deduction_mode == DeductionMode::OnOrder)
            .then(|| BalanceChange::spend_reservation(reward.points_redeemed, reward.id, &reason));
        self.transition_with_balance(domain, reward, transition, change, at).await
    }

    /// The order that used the reward was cancelled: the reward is `REFUNDED` and its points come back,
    /// once, and only if that order is the one that used it.
    pub async fn refund_for_cancelled_order(
        &self,
        domain: &str,
        reward: &Reward,
        order: &Order,
        at: Time,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            from: &[RewardStatus::Used],
            to: RewardStatus::Refunded,
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(true))],
            also: Some((ORDER_ID, number(order.id))),
            listing: None,
        };
        let reason = format!("order {} cancelled", order.name);
        let change = BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, &reason);
        self.transition_with_balance(domain, reward, transition, Some(change), at).await
    }

    /// An unused reward past its end: `EXPIRED`; a reservation is released, and an immediate reward's
    /// points come back when the shop says so.
    pub async fn expire_reward(
        &self,
        domain: &str,
        reward: &Reward,
        return_points: bool,
        at: Time,
    ) -> Result<bool, TallyError> {
        let change = match reward.deduction_mode {
            DeductionMode::OnOrder => Some(reward.points_back("expired unused")),
            DeductionMode::Immediate if return_points => Some(reward.points_back("expired unused")),
            DeductionMode::Immediate => None,
        };
        let transition = Transition {
            from: &[RewardStatus::Unused],
            to: RewardStatus::Expired,
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(change.is_some()))],
            also: None,
            listing: None,
        };
        self.transition_with_balance(domain, reward, transition, change, at).await
    }

    /// An unused reward taken back at the shop's request (its code already deactivated in Shopify):
    /// `REFUNDED`, with its points returned or its reservation released. `Ok(false)` when the reward is
    /// no longer unused (an order used it, or another refund won).
    pub async fn refund_reward(
        &self,
        domain: &str,
        reward: &Reward,
        reason: &str,
        claim: Option<&Claim>,
        at: Time,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            from: &[RewardStatus::Unused],
            to: RewardStatus::Refunded,
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(true)), (REFUNDED_AT, text(rfc3339(at)))],
            also: None,
            listing: None,
        };
        let mut with = Transaction::new();
        with.update(Part::Reward, self.transition(domain, reward, transition)?);
        if let Some(claim) = claim {
            let effect = Effect::Refund { customer_id: reward.customer_id, reward_id: reward.id };
            with.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
        }
        self.change_with_reward(domain, reward, &reward.points_back(reason), with, at).await
    }
}
