//! Rewards: the debit that creates one, and Shopify's answer that settles it.

use super::balance::BalanceError;
use super::idempotency::Claim;
use super::records::reward::{
    CodeOwnerRecord, RewardRecord, DISCOUNT_CODE_ID, FAILURE_REASON, POINTS_RETURNED, USED_AT,
};
use super::records::{from_item, listed, text, to_item};
use super::transaction::{Part, Transaction};
use super::transitions::{Listing, Transition};
use super::{keys, Store};
use crate::domain::customer::{Applied, Customer};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::reward::{Reward, RewardKind, RewardStatus};
use crate::domain::Time;
use aws_sdk_dynamodb::types::AttributeValue;

/// Fresh ids and codes are drawn this many times before a redemption gives up (`TRY_AGAIN`).
const MAX_DRAWS: usize = 5;

impl Store {
    /// Takes the reward's points from `customer` and records the reward as `PENDING`, in one transaction.
    /// A reward id or code already in use is replaced by a fresh one.
    pub async fn debit_for_reward(
        &self,
        domain: &str,
        customer: Customer,
        mut reward: Reward,
        code_prefix: &str,
        claim: Option<&Claim>,
    ) -> Result<(Customer, Reward), TallyError> {
        for _ in 0..MAX_DRAWS {
            // The reward records the lots its points came from, which only the change as applied knows.
            let with = |applied: &Applied| {
                let reward = Reward { lots: applied.taken.clone(), ..reward.clone() };
                let mut with = Transaction::new();
                with.put_new(&self.table, Part::Reward, reward_item(domain, &reward)?)?;
                if let Some(code) = &reward.discount_code {
                    let owner = CodeOwnerRecord { customer_id: reward.customer_id, reward_id: reward.id };
                    with.put_new(&self.table, Part::Code, to_item(&owner, keys::code(domain, code))?)?;
                }
                if let Some(claim) = claim {
                    let effect = Effect::Reward { customer_id: reward.customer_id, reward_id: reward.id };
                    with.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
                }
                Ok(with)
            };
            let change = reward.payment();
            match self.change_balance(domain, customer.clone(), &change, with, true, reward.create_at).await {
                Ok(applied) => return Ok((applied.customer, Reward { lots: applied.taken, ..reward })),
                Err(BalanceError::Refused(e)) => return Err(e),
                Err(BalanceError::Conflict(Part::Reward)) => reward = reward.with_new_id(),
                Err(BalanceError::Conflict(Part::Code)) => reward = reward.with_new_code(code_prefix),
                Err(BalanceError::Conflict(_) | BalanceError::Nothing) => return Err(super::claim_lost()),
            }
        }
        Err(TallyError::Busy)
    }

    /// Shopify issued the reward: a discount is now `UNUSED` (listed by its end, for expiry); store
    /// credit, delivered, is `USED`. A reward settled meanwhile is left as it is.
    pub async fn issue_reward(
        &self,
        domain: &str,
        reward: &Reward,
        shopify_id: &str,
        at: Time,
    ) -> Result<Reward, TallyError> {
        let (to, used_at) = match reward.reward_type {
            RewardKind::DiscountCode => (RewardStatus::Unused, AttributeValue::Null(true)),
            RewardKind::StoreCredit => (RewardStatus::Used, text(super::records::rfc3339(at))),
        };
        let listing = match (reward.reward_type, reward.expire_date) {
            (RewardKind::DiscountCode, Some(end)) => Listing::At(keys::expiring_listing(domain, end, reward.id)),
            _ => Listing::Remove,
        };
        let set = vec![(DISCOUNT_CODE_ID, text(shopify_id)), (USED_AT, used_at)];
        let transition = Transition { set, listing, ..Transition::to(&[RewardStatus::Pending], to) };
        self.transition_with_balance(domain, reward, transition, None, at).await?;
        self.reward(domain, reward.customer_id, reward.id).await
    }

    /// Shopify did not issue the reward: its points go back (a reservation is released) and it becomes
    /// `FAILED`, in one transaction. A reward that is no longer pending is left as it is.
    pub async fn fail_reward(
        &self,
        domain: &str,
        reward: &Reward,
        reason: &str,
        at: Time,
    ) -> Result<Reward, TallyError> {
        let set = vec![(FAILURE_REASON, text(reason)), (POINTS_RETURNED, AttributeValue::Bool(true))];
        let transition = Transition { set, ..Transition::to(&[RewardStatus::Pending], RewardStatus::Failed) };
        self.transition_with_balance(domain, reward, transition, Some(reward.points_back(reason)), at).await?;
        self.reward(domain, reward.customer_id, reward.id).await
    }

    pub async fn reward(&self, domain: &str, customer_id: u64, reward_id: u64) -> Result<Reward, TallyError> {
        let record: Option<RewardRecord> = self.get(keys::reward(domain, customer_id, reward_id)).await?;
        record.map(Reward::from).ok_or(TallyError::RewardNotFound(reward_id))
    }

    /// Who owns a code in the shop, if it is a Tally reward.
    pub async fn code_owner(&self, domain: &str, code: &str) -> Result<Option<CodeOwnerRecord>, TallyError> {
        self.get(keys::code(domain, code)).await
    }
}

/// A reward's item, listed among the shop's pending rewards while Shopify has not settled it.
fn reward_item(domain: &str, reward: &Reward) -> Result<super::records::Item, TallyError> {
    let item = to_item(&RewardRecord::from(reward), keys::reward(domain, reward.customer_id, reward.id))?;
    Ok(match reward.status {
        RewardStatus::Pending => listed(item, keys::pending_listing(domain, reward.create_at, reward.id)),
        _ => item,
    })
}

/// Rewards read from the index.
pub(crate) fn rewards(items: Vec<super::records::Item>) -> Result<Vec<Reward>, TallyError> {
    items.into_iter().map(|item| from_item::<RewardRecord>(item).map(Reward::from)).collect()
}
