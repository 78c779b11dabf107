//! Rewards: the debit that creates one, and the outcomes that settle it.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::{Deserialize, Serialize};

use super::balance::BalanceError;
use super::idempotency::Claim;
use super::orders::Transition;
use super::{keys, reward_item, to_item, Store};
use crate::domain::customer::Customer;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::reward::{DeductionMode, Reward, RewardKind, RewardStatus};
use crate::domain::rfc3339;

/// The item that makes a code unique in the shop and leads from a code to its reward.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeOwner {
    pub customer_id: u64,
    pub reward_id: u64,
}

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
        for _ in 0..5 {
            let change = match reward.deduction_mode {
                DeductionMode::Immediate => BalanceChange::redeem(reward.points_redeemed, reward.id),
                DeductionMode::OnOrder => BalanceChange::reserve(reward.points_redeemed, reward.id),
            };
            let mut extra = vec![self.put_new(reward_item(domain, &reward)?)?];
            if let Some(code) = &reward.discount_code {
                let owner = CodeOwner { customer_id: reward.customer_id, reward_id: reward.id };
                extra.push(self.put_new(to_item(&owner, keys::code(domain, code))?)?);
            }
            let claim_index = extra.len();
            if let Some(claim) = claim {
                let effect = Effect::Reward { customer_id: reward.customer_id, reward_id: reward.id };
                extra.push(self.claim_effect(domain, claim, &effect.to_string())?);
            }
            match self.change_balance(domain, customer.clone(), &change, extra, true).await {
                Ok(customer) => return Ok((customer, reward)),
                Err(BalanceError::Refused(e)) => return Err(e),
                Err(BalanceError::ItemConflict(n)) if n == claim_index => return Err(claim_lost()),
                Err(BalanceError::ItemConflict(0)) => reward.id = crate::domain::ids::reward_id(),
                Err(BalanceError::ItemConflict(_)) => reward = reward.with_new_code(code_prefix),
            }
        }
        Err(TallyError::Busy)
    }

    /// Shopify issued the reward: a discount is now `UNUSED` (listed by its end, for expiry); store
    /// credit, delivered, is `USED`. A reward settled meanwhile is left as it is.
    pub async fn issue_reward(&self, domain: &str, reward: &Reward, shopify_id: &str) -> Result<Reward, TallyError> {
        let (to, used_at) = match reward.reward_type {
            RewardKind::DiscountCode => ("UNUSED", AttributeValue::Null(true)),
            RewardKind::StoreCredit => ("USED", AttributeValue::S(rfc3339(crate::domain::now()))),
        };
        let listing = match (&reward.reward_type, &reward.expire_date) {
            (RewardKind::DiscountCode, Some(end)) => Some(keys::expiring_listing(domain, end, reward.id).1),
            _ => None,
        };
        let set = vec![("discountCodeId", AttributeValue::S(shopify_id.into())), ("usedAt", used_at)];
        let transition = Transition { from: &["PENDING"], to, set, also: None, listing };
        self.transition_with_balance(domain, reward, transition, None).await?;
        self.reward(domain, reward.customer_id, reward.id).await
    }

    /// Shopify did not issue the reward: its points go back (a reservation is released) and it becomes
    /// `FAILED`, in one transaction. A reward that is no longer pending is left as it is.
    pub async fn fail_reward(&self, domain: &str, reward: &Reward, reason: &str) -> Result<Reward, TallyError> {
        let change = match reward.deduction_mode {
            DeductionMode::Immediate => BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, reason),
            DeductionMode::OnOrder => BalanceChange::release_reservation(reward.points_redeemed, reward.id, reason),
        };
        let set =
            vec![("failureReason", AttributeValue::S(reason.into())), ("pointsReturned", AttributeValue::Bool(true))];
        let transition = Transition { from: &["PENDING"], to: "FAILED", set, also: None, listing: None };
        self.transition_with_balance(domain, reward, transition, Some(change)).await?;
        self.reward(domain, reward.customer_id, reward.id).await
    }

    pub async fn reward(&self, domain: &str, customer_id: u64, reward_id: u64) -> Result<Reward, TallyError> {
        self.get(keys::reward(domain, customer_id, reward_id)).await?.ok_or(TallyError::RewardNotFound(reward_id))
    }

    /// Who owns a code in the shop, if it is a Tally reward.
    pub async fn code_owner(&self, domain: &str, code: &str) -> Result<Option<CodeOwner>, TallyError> {
        self.get(keys::code(domain, code)).await
    }
}

impl Reward {
    pub fn is_pending(&self) -> bool {
        self.status == RewardStatus::Pending
    }
}

/// The claim on the idempotency key was taken over: another attempt of the request owns it now.
pub(crate) fn claim_lost() -> TallyError {
    TallyError::RequestInProgress
}
