//! Rewards: the debit that creates one, and the outcomes that settle it.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, TransactWriteItem, Update};
use serde::{Deserialize, Serialize};

use super::balance::BalanceError;
use super::idempotency::Claim;
use super::{from_item, internal, is_condition_failure, keys, reward_item, to_item, Store};
use crate::domain::customer::Customer;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::BalanceChange;
use crate::domain::reward::{Reward, RewardKind, RewardStatus};
use crate::domain::rfc3339;

const STILL_PENDING: &str = "#status = :pending";
const ISSUE: &str = "SET #status = :status, #shopifyId = :shopifyId, #usedAt = :usedAt REMOVE #gpk, #gsk";
const FAIL: &str = "SET #status = :failed, #reason = :reason REMOVE #gpk, #gsk";

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
            let change = BalanceChange::redeem(reward.points_redeemed, reward.id);
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

    /// Shopify issued the reward: a discount is now `UNUSED`; store credit, delivered, is `USED`.
    pub async fn issue_reward(&self, domain: &str, reward: &Reward, shopify_id: &str) -> Result<Reward, TallyError> {
        let (status, used_at) = match reward.reward_type {
            RewardKind::DiscountCode => ("UNUSED", AttributeValue::Null(true)),
            RewardKind::StoreCredit => ("USED", AttributeValue::S(rfc3339(crate::domain::now()))),
        };
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let output = self
            .client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression(STILL_PENDING)
            .update_expression(ISSUE)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#shopifyId", "discountCodeId")
            .expression_attribute_names("#usedAt", "usedAt")
            .expression_attribute_names("#gpk", keys::GSI1PK)
            .expression_attribute_names("#gsk", keys::GSI1SK)
            .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":status", AttributeValue::S(status.into()))
            .expression_attribute_values(":shopifyId", AttributeValue::S(shopify_id.into()))
            .expression_attribute_values(":usedAt", used_at)
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match output {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            // Settled meanwhile by someone else: what is stored is the truth.
            Err(err) if is_condition_failure(&err) => self.reward(domain, reward.customer_id, reward.id).await,
            Err(err) => Err(internal(err)),
        }
    }

    /// Shopify did not issue the reward: its points go back and it becomes `FAILED`, in one transaction.
    /// A reward that is no longer pending is left as it is.
    pub async fn fail_reward(&self, domain: &str, reward: &Reward, reason: &str) -> Result<Reward, TallyError> {
        let customer = self
            .get_customer(domain, reward.customer_id)
            .await?
            .ok_or_else(|| TallyError::CustomerNotFound(reward.customer_id.to_string()))?;
        let change = BalanceChange::reverse_redeem(reward.points_redeemed, reward.id, reason);
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let update = Update::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression(STILL_PENDING)
            .update_expression(FAIL)
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#reason", "failureReason")
            .expression_attribute_names("#gpk", keys::GSI1PK)
            .expression_attribute_names("#gsk", keys::GSI1SK)
            .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":failed", AttributeValue::S("FAILED".into()))
            .expression_attribute_values(":reason", AttributeValue::S(reason.into()))
            .build()
            .map_err(TallyError::internal)?;
        let extra = vec![TransactWriteItem::builder().update(update).build()];
        match self.change_balance(domain, customer, &change, extra, false).await {
            Ok(_) | Err(BalanceError::ItemConflict(_)) => self.reward(domain, reward.customer_id, reward.id).await,
            Err(BalanceError::Refused(e)) => Err(e),
        }
    }

    pub async fn reward(&self, domain: &str, customer_id: u64, reward_id: u64) -> Result<Reward, TallyError> {
        self.get(keys::reward(domain, customer_id, reward_id)).await?.ok_or(TallyError::NotFound("reward not found"))
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
    TallyError::RequestInProgress { retry_after_seconds: 1 }
}
