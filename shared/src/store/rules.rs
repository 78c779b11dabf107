//! Redemption rules.

use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};

use super::idempotency::Claim;
use super::{
    cancellation_reasons, condition_failed, from_item, internal, is_condition_failure, keys, to_item, SortKey, Store,
};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::rule::{RedeemRule, RuleInput};

const NEXT_RULE_ID: &str = "ADD #next :one";
const RULE_EXISTS: &str = "attribute_exists(#pk)";

impl Store {
    /// Creates a rule with the next id of the shop (ids are integers, as in Appstle).
    pub async fn create_rule(
        &self,
        domain: &str,
        input: RuleInput,
        claim: Option<&Claim>,
    ) -> Result<RedeemRule, TallyError> {
        // Checked before an id is taken, so that a bad request changes nothing.
        input.clone().into_rule(1).map_err(TallyError::InvalidRequest)?;
        let (pk, sk) = keys::shop(domain);
        let output = self
            .update_item((pk, sk))
            .condition_expression("attribute_exists(#pk)")
            .update_expression(NEXT_RULE_ID)
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#next", "lastRuleId")
            .expression_attribute_values(":one", AttributeValue::N("1".into()))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await
            .map_err(|err| {
                if is_condition_failure(&err) {
                    TallyError::Unauthorized("unknown shop")
                } else {
                    internal(err)
                }
            })?;
        let id = output
            .attributes
            .as_ref()
            .and_then(|a| a.get("lastRuleId"))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| TallyError::internal("the rule counter is missing"))?;
        let rule = input.into_rule(id).map_err(TallyError::InvalidRequest)?;
        let mut items = vec![self.put_new(to_item(&rule, keys::rule(domain, id))?)?];
        if let Some(claim) = claim {
            items.push(self.claim_effect(domain, claim, &Effect::Rule { id }.to_string())?);
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => {}
            Err(err) if err.code() == Some("TransactionCanceledException") => return Err(super::rewards::claim_lost()),
            Err(err) => return Err(internal(err)),
        }
        Ok(rule)
    }

    /// Replaces a rule with `input`, keeping its id. Rewards already given keep what they were given.
    pub async fn replace_rule(
        &self,
        domain: &str,
        id: u64,
        input: RuleInput,
        claim: Option<&Claim>,
    ) -> Result<RedeemRule, TallyError> {
        let rule = input.into_rule(id).map_err(TallyError::InvalidRequest)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&rule, keys::rule(domain, id))?))
            .condition_expression(RULE_EXISTS)
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(TallyError::internal)?;
        self.write_rule(domain, id, TransactWriteItem::builder().put(put).build(), Effect::Rule { id }, claim).await?;
        Ok(rule)
    }

    /// Deletes a rule: it can no longer be redeemed; rewards already given are not touched.
    pub async fn delete_rule(&self, domain: &str, id: u64, claim: Option<&Claim>) -> Result<(), TallyError> {
        let (pk, sk) = keys::rule(domain, id);
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .condition_expression(RULE_EXISTS)
            .expression_attribute_names("#pk", keys::PK)
            .build()
            .map_err(TallyError::internal)?;
        let item = TransactWriteItem::builder().delete(delete).build();
        self.write_rule(domain, id, item, Effect::RuleDeleted { id }, claim).await
    }

    /// Writes a change to an existing rule, with the request's idempotency claim when there is one.
    async fn write_rule(
        &self,
        domain: &str,
        id: u64,
        change: TransactWriteItem,
        effect: Effect,
        claim: Option<&Claim>,
    ) -> Result<(), TallyError> {
        let mut items = vec![change];
        if let Some(claim) = claim {
            items.push(self.claim_effect(domain, claim, &effect.to_string())?);
        }
        let err = match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => return Ok(()),
            Err(err) => err,
        };
        let Some(reasons) = cancellation_reasons(&err) else { return Err(internal(err)) };
        let failed = |i: usize| reasons.get(i).is_some_and(condition_failed);
        if failed(0) {
            Err(TallyError::RuleNotFound(id))
        } else if failed(1) {
            Err(super::rewards::claim_lost())
        } else {
            Err(TallyError::Busy)
        }
    }

    pub async fn get_rule(&self, domain: &str, id: u64) -> Result<RedeemRule, TallyError> {
        self.get(keys::rule(domain, id)).await?.ok_or(TallyError::RuleNotFound(id))
    }

    /// All the shop's rules, oldest first.
    pub async fn list_rules(&self, domain: &str) -> Result<Vec<RedeemRule>, TallyError> {
        let (pk, _) = keys::shop(domain);
        let items = self.query(pk, SortKey::Prefix(keys::RULE_PREFIX)).await?;
        items.into_iter().map(from_item).collect()
    }
}
