//! What orders do to rewards: an order that uses a code marks its reward `USED` (and pays its
//! reservation); a cancelled order gives the points back once; an unused reward expires.

use aws_sdk_dynamodb::types::{AttributeValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::balance::BalanceError;
use super::idempotency::Claim;
use super::{internal, is_condition_failure, keys, to_item, Store};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::reward::{DeductionMode, Reward};
use crate::domain::{now, rfc3339};

/// How long order and webhook records are kept: past Shopify's retries (4 hours) and late cancellations.
const KEEP_SECONDS: i64 = 90 * 24 * 3600;

/// A change of a reward's status, conditioned on the statuses it may come from.
pub(crate) struct Transition<'a> {
    pub from: &'a [&'a str],
    pub to: &'a str,
    /// Further `SET` clauses, with their values, as `(attribute, value)`.
    pub set: Vec<(&'a str, AttributeValue)>,
    /// An extra condition, e.g. on the order that used the reward.
    pub also: Option<(&'a str, AttributeValue)>,
    /// Where the reward is listed in `GSI1` afterwards; `None` takes it out of the index.
    pub listing: Option<String>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Marker {
    at: String,
    expires_at: i64,
}

impl Store {
    pub(crate) fn transition(&self, domain: &str, reward: &Reward, t: Transition<'_>) -> Result<Update, TallyError> {
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let from: Vec<String> = (0..t.from.len()).map(|i| format!(":from{i}")).collect();
        let mut condition = format!("#status IN ({})", from.join(", "));
        let mut sets = vec!["#status = :to".to_string()];
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":to", AttributeValue::S(t.to.into()));
        for (name, status) in from.iter().zip(t.from) {
            update = update.expression_attribute_values(name, AttributeValue::S((*status).into()));
        }
        for (i, (attribute, value)) in t.set.into_iter().enumerate() {
            sets.push(format!("#set{i} = :set{i}"));
            update = update
                .expression_attribute_names(format!("#set{i}"), attribute)
                .expression_attribute_values(format!(":set{i}"), value);
        }
        if let Some((attribute, value)) = t.also {
            condition.push_str(" AND #also = :also");
            update = update.expression_attribute_names("#also", attribute).expression_attribute_values(":also", value);
        }
        let expression = match t.listing {
            Some(listing) => {
                update = update.expression_attribute_values(":listing", AttributeValue::S(listing));
                format!("SET {}, #gsk = :listing", sets.join(", "))
            }
            None => {
                update = update.expression_attribute_names("#gpk", keys::GSI1PK);
                format!("SET {} REMOVE #gpk, #gsk", sets.join(", "))
            }
        };
        update
            .expression_attribute_names("#gsk", keys::GSI1SK)
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
            return match result {
                Ok(_) => Ok(true),
                Err(err) if is_condition_failure(&err) => Ok(false),
                Err(err) => Err(internal(err)),
            };
        };
        self.update_with_balance(domain, reward, update, &change, None).await
    }

    /// The reward's update and the balance change in one transaction, with an idempotency claim if given.
    async fn update_with_balance(
        &self,
        domain: &str,
        reward: &Reward,
        update: Update,
        change: &BalanceChange,
        claim: Option<TransactWriteItem>,
    ) -> Result<bool, TallyError> {
        let customer = self
            .get_customer(domain, reward.customer_id)
            .await?
            .ok_or_else(|| TallyError::CustomerNotFound(reward.customer_id.to_string()))?;
        let mut extra = vec![TransactWriteItem::builder().update(update).build()];
        extra.extend(claim);
        match self.change_balance(domain, customer, change, extra, false).await {
            Ok(_) => Ok(true),
            Err(BalanceError::ItemConflict(0)) => Ok(false),
            Err(BalanceError::ItemConflict(_)) => Err(super::rewards::claim_lost()),
            Err(BalanceError::Refused(e)) => Err(e),
        }
    }
}

impl Store {
    /// An order used the reward's code: it is `USED`, with the order; an `ON_ORDER` reservation is paid.
    /// `Ok(false)` when it was used already (another delivery of the order) or cannot be used.
    pub async fn use_reward(
        &self,
        domain: &str,
        reward: &Reward,
        order_id: u64,
        order_name: &str,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            from: &["UNUSED", "PENDING"],
            to: "USED",
            set: vec![
                ("usedAt", AttributeValue::S(rfc3339(now()))),
                ("orderId", AttributeValue::N(order_id.to_string())),
                ("orderName", AttributeValue::S(order_name.into())),
            ],
            also: None,
            listing: None,
        };
        let reason = format!("paid by order {order_name}");
        let change = (reward.deduction_mode == DeductionMode::OnOrder)
            .then(|| BalanceChange::spend_reservation(reward.points_redeemed, reward.id, &reason));
        self.transition_with_balance(domain, reward, transition, change).await
    }

    /// The order that used the reward was cancelled: the reward is `REFUNDED` and its points come back,
    /// once, and only if that order is the one that used it.
    pub async fn refund_for_cancelled_order(
        &self,
        domain: &str,
        reward: &Reward,
        order_id: u64,
        order_name: &str,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            from: &["USED"],
            to: "REFUNDED",
            set: vec![("pointsReturned", AttributeValue::Bool(true))],
            also: Some(("orderId", AttributeValue::N(order_id.to_string()))),
            listing: None,
        };
        let reason = format!("order {order_name} cancelled");
        let change = BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, &reason);
        self.transition_with_balance(domain, reward, transition, Some(change)).await
    }

    /// An unused reward past its end: `EXPIRED`; a reservation is released, and an immediate reward's
    /// points come back when the shop says so.
    pub async fn expire_reward(&self, domain: &str, reward: &Reward, return_points: bool) -> Result<bool, TallyError> {
        let change = match reward.deduction_mode {
            DeductionMode::OnOrder => {
                Some(BalanceChange::release_reservation(reward.points_redeemed, reward.id, "expired unused"))
            }
            DeductionMode::Immediate if return_points => {
                Some(BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, "expired unused"))
            }
            DeductionMode::Immediate => None,
        };
        let transition = Transition {
            from: &["UNUSED"],
            to: "EXPIRED",
            set: vec![("pointsReturned", AttributeValue::Bool(change.is_some()))],
            also: None,
            listing: None,
        };
        self.transition_with_balance(domain, reward, transition, change).await
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
    ) -> Result<bool, TallyError> {
        let change = match reward.deduction_mode {
            DeductionMode::OnOrder => BalanceChange::release_reservation(reward.points_redeemed, reward.id, reason),
            DeductionMode::Immediate => BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, reason),
        };
        let transition = Transition {
            from: &["UNUSED"],
            to: "REFUNDED",
            set: vec![
                ("pointsReturned", AttributeValue::Bool(true)),
                ("refundedAt", AttributeValue::S(rfc3339(now()))),
            ],
            also: None,
            listing: None,
        };
        let effect = Effect::Refund { customer_id: reward.customer_id, reward_id: reward.id }.to_string();
        let claim = claim.map(|claim| self.claim_effect(domain, claim, &effect)).transpose()?;
        let update = self.transition(domain, reward, transition)?;
        self.update_with_balance(domain, reward, update, &change, claim).await
    }

    /// The shop's unused rewards whose end is at or before `before` (RFC 3339).
    pub async fn expiring_rewards(&self, domain: &str, before: &str) -> Result<Vec<Reward>, TallyError> {
        let (pk, _) = keys::expiring_listing(domain, "", 0);
        let high = format!("{}{before}#~", keys::EXPIRING_LISTING_PREFIX);
        let items = self.query_listing(pk, super::SortKey::Between(keys::EXPIRING_LISTING_PREFIX, &high)).await?;
        items.into_iter().map(super::from_item).collect()
    }

    /// Remembers that an order was cancelled, for an `orders/create` that arrives after it.
    pub async fn mark_order_cancelled(&self, domain: &str, order_id: u64) -> Result<(), TallyError> {
        self.put_marker(keys::order(domain, order_id), false).await.map(|_| ())
    }

    pub async fn is_order_cancelled(&self, domain: &str, order_id: u64) -> Result<bool, TallyError> {
        Ok(self.get::<Marker>(keys::order(domain, order_id)).await?.is_some())
    }

    /// Records a webhook delivery; `false` when it was recorded before (a duplicate delivery).
    pub async fn first_delivery(&self, domain: &str, webhook_id: &str) -> Result<bool, TallyError> {
        self.put_marker(keys::webhook(domain, webhook_id), true).await
    }

    /// Forgets a delivery that could not be handled, so that Shopify's retry is handled.
    pub async fn forget_delivery(&self, domain: &str, webhook_id: &str) -> Result<(), TallyError> {
        let (pk, sk) = keys::webhook(domain, webhook_id);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Puts a marker that expires with the table's TTL; with `only_once`, fails (`false`) if it exists.
    async fn put_marker(&self, key: keys::Key, only_once: bool) -> Result<bool, TallyError> {
        let marker = Marker { at: rfc3339(now()), expires_at: now().unix_timestamp() + KEEP_SECONDS };
        let mut put = self.client.put_item().table_name(&self.table).set_item(Some(to_item(&marker, key)?));
        if only_once {
            put = put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", keys::PK);
        }
        match put.send().await {
            Ok(_) => Ok(true),
            Err(err) if is_condition_failure(&err) => Ok(false),
            Err(err) => Err(internal(err)),
        }
    }
}
