//! A reward's status changes: each conditioned on the statuses it may come from, and made in one
//! transaction with the balance change it brings, if any. What orders, expiry and refunds do to rewards.

use aws_sdk_dynamodb::types::{AttributeValue, Update};

use super::balance::BalanceError;
use super::records::reward::{
    ORDER_ID, ORDER_NAME, POINTS_RETURNED, POINTS_TAKEN_LATE, REFUND_REASON, REFUND_REQUESTED_AT, STATUS, USED_AT,
};
use super::records::{number, rfc3339, text, Attribute, GSI1PK, GSI1SK, PK, SK};
use super::transaction::{Part, Transaction};
use super::{keys, Store};
use crate::domain::customer::CustomerRef;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::lots::Lot;
use crate::domain::order::Order;
use crate::domain::reward::{DeductionMode, Reward, RewardStatus};
use crate::domain::Time;

/// A change of a reward, conditioned on the statuses it may come from.
pub(crate) struct Transition<'a> {
    pub from: &'a [RewardStatus],
    /// The status afterwards; `None` keeps it.
    pub to: Option<RewardStatus>,
    /// Further attributes to set, with their values.
    pub set: Vec<(Attribute, AttributeValue)>,
    /// Attributes to take away.
    pub remove: Vec<Attribute>,
    /// An extra condition: this attribute has this value (the order that used the reward, say).
    pub also: Option<(Attribute, AttributeValue)>,
    /// An extra condition: this attribute is absent or NULL (no order used the reward, say).
    pub unset: Option<Attribute>,
    pub listing: Listing,
}

/// Where a reward is listed in `GSI1` after a change.
pub(crate) enum Listing {
    Remove,
    At(keys::Key),
}

impl Transition<'_> {
    /// A change of status and nothing else, out of the index.
    pub fn to(from: &[RewardStatus], to: RewardStatus) -> Transition<'_> {
        Transition {
            from,
            to: Some(to),
            set: vec![],
            remove: vec![],
            also: None,
            unset: None,
            listing: Listing::Remove,
        }
    }
}

impl Store {
    pub(crate) fn transition(&self, domain: &str, reward: &Reward, t: Transition<'_>) -> Result<Update, TallyError> {
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let from: Vec<String> = (0..t.from.len()).map(|i| format!(":from{i}")).collect();
        let mut condition = format!("#status IN ({})", from.join(", "));
        let mut sets = Vec::new();
        let mut removes = Vec::new();
        let mut update = Update::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .expression_attribute_names("#status", STATUS.name());
        if let Some(to) = t.to {
            sets.push("#status = :to".to_string());
            update = update.expression_attribute_values(":to", text(to.as_str()));
        }
        for (name, status) in from.iter().zip(t.from) {
            update = update.expression_attribute_values(name, text(status.as_str()));
        }
        for (i, (attribute, value)) in t.set.into_iter().enumerate() {
            sets.push(format!("#set{i} = :set{i}"));
            update = update
                .expression_attribute_names(format!("#set{i}"), attribute.name())
                .expression_attribute_values(format!(":set{i}"), value);
        }
        for (i, attribute) in t.remove.into_iter().enumerate() {
            removes.push(format!("#remove{i}"));
            update = update.expression_attribute_names(format!("#remove{i}"), attribute.name());
        }
        if let Some((attribute, value)) = t.also {
            condition.push_str(" AND #also = :also");
            update = update
                .expression_attribute_names("#also", attribute.name())
                .expression_attribute_values(":also", value);
        }
        if let Some(attribute) = t.unset {
            condition.push_str(" AND (attribute_not_exists(#unset) OR attribute_type(#unset, :null))");
            update = update
                .expression_attribute_names("#unset", attribute.name())
                .expression_attribute_values(":null", text("NULL"));
        }
        match t.listing {
            Listing::Remove => removes.extend(["#gpk".to_string(), "#gsk".to_string()]),
            Listing::At((listing_pk, listing_sk)) => {
                sets.extend(["#gpk = :gpk".to_string(), "#gsk = :gsk".to_string()]);
                update = update
                    .expression_attribute_values(":gpk", text(listing_pk))
                    .expression_attribute_values(":gsk", text(listing_sk));
            }
        }
        update =
            update.expression_attribute_names("#gpk", GSI1PK.name()).expression_attribute_names("#gsk", GSI1SK.name());
        let mut expression = String::new();
        if !sets.is_empty() {
            expression.push_str(&format!("SET {}", sets.join(", ")));
        }
        if !removes.is_empty() {
            expression.push_str(&format!(" REMOVE {}", removes.join(", ")));
        }
        update
            .condition_expression(condition)
            .update_expression(expression.trim())
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
        let Some(change) = change else {
            return self.update_reward(domain, reward, transition).await;
        };
        let update = self.transition(domain, reward, transition)?;
        let mut with = Transaction::new();
        with.update(Part::Reward, update);
        self.change_with_reward(domain, reward, &change, with, at).await
    }

    /// The reward's update (and an idempotency claim, if any) with the balance change, in one transaction.
    pub(crate) async fn change_with_reward(
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
        match self.change_balance(domain, customer, change, |_| Ok(with.clone()), false, at).await {
            Ok(_) => Ok(true),
            Err(BalanceError::Conflict(Part::Reward) | BalanceError::Nothing) => Ok(false),
            Err(BalanceError::Conflict(_)) => Err(super::claim_lost()),
            Err(BalanceError::Refused(e)) => Err(e),
        }
    }

    /// An order used the reward's code: it is `USED`, with the order; an `ON_ORDER` reservation is paid.
    /// `Ok(false)` when it was used already (another delivery of the order) or cannot be used.
    pub async fn use_reward(&self, domain: &str, reward: &Reward, order: &Order, at: Time) -> Result<bool, TallyError> {
        let transition = Transition {
            set: used_by(order, at),
            remove: vec![REFUND_REASON, REFUND_REQUESTED_AT],
            ..Transition::to(&[RewardStatus::Unused, RewardStatus::Pending], RewardStatus::Used)
        };
        let reason = format!("paid by order {}", order.name);
        let change = (reward.deduction_mode == DeductionMode::OnOrder)
            .then(|| BalanceChange::spend_reservation(reward.points_redeemed, reward.id, &reason).for_order(order.id));
        self.transition_with_balance(domain, reward, transition, change, at).await
    }

    /// An order used the reward's code after its points went back (a refund or an expiry raced the order):
    /// it is `USED` all the same, and `points` are taken from the balance again (`None` when none came
    /// back: an immediate reward that expired with its points kept). `Ok(false)` when the reward changed
    /// meanwhile.
    pub async fn use_reward_late(
        &self,
        domain: &str,
        reward: &Reward,
        order: &Order,
        points: Option<i64>,
        at: Time,
    ) -> Result<bool, TallyError> {
        let mut set = used_by(order, at);
        set.push((POINTS_RETURNED, AttributeValue::Bool(false)));
        set.extend(points.map(|points| (POINTS_TAKEN_LATE, number(points))));
        let transition = Transition {
            set,
            unset: Some(ORDER_ID),
            ..Transition::to(&[RewardStatus::Refunded, RewardStatus::Expired], RewardStatus::Used)
        };
        let reason = format!("order {} used the code after its points were returned", order.name);
        let change = points
            .filter(|p| *p > 0)
            .map(|points| BalanceChange::late_use(points, reward.id, &reason).for_order(order.id));
        self.transition_with_balance(domain, reward, transition, change, at).await
    }

    /// The order that used the reward was cancelled, or refunded in full (`why`): the reward is `REFUNDED`
    /// and its points come back, once, and only if that order is the one that used it.
    pub async fn refund_for_order(
        &self,
        domain: &str,
        reward: &Reward,
        order: &Order,
        why: &str,
        at: Time,
    ) -> Result<bool, TallyError> {
        let transition = Transition {
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(true))],
            also: Some((ORDER_ID, number(order.id))),
            ..Transition::to(&[RewardStatus::Used], RewardStatus::Refunded)
        };
        let reason = format!("order {} {why}", order.name);
        // Points taken late came from whatever lots the balance had then, which the reward does not keep:
        // they come back to the lot that never expires, so that none is lost.
        let lots: &[Lot] = if reward.points_taken_late.is_some() { &[] } else { &reward.lots };
        let change = BalanceChange::reverse_redeem(reward.points_to_return(), reward.id, &reason)
            .for_order(order.id)
            .from_lots(lots);
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
            set: vec![(POINTS_RETURNED, AttributeValue::Bool(change.is_some()))],
            ..Transition::to(&[RewardStatus::Unused], RewardStatus::Expired)
        };
        self.transition_with_balance(domain, reward, transition, change, at).await
    }
}

/// What an order that used a reward sets on it.
fn used_by(order: &Order, at: Time) -> Vec<(Attribute, AttributeValue)> {
    vec![(USED_AT, text(rfc3339(at))), (ORDER_ID, number(order.id)), (ORDER_NAME, text(&order.name))]
}
