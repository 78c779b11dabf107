//! Redemption rules.

use aws_sdk_dynamodb::types::{Delete, Put, ReturnValue};

use super::errors::{internal, Conditional};
use super::idempotency::Claim;
use super::records::rule::RuleRecord;
use super::records::shop::LAST_RULE_ID;
use super::records::{from_item, number, text, to_item, PK, SK};
use super::transaction::{Part, Transaction, TxError};
use super::{keys, SortKey, Store};
use crate::domain::effect::Effect;
use crate::domain::error::{TallyError, Unauthorized};
use crate::domain::rule::{RedeemRule, RuleDraft};

const NEXT_RULE_ID: &str = "ADD #next :one";
const EXISTS: &str = "attribute_exists(#pk)";

impl Store {
    /// Creates a rule with the next id of the shop (ids are integers, as in Appstle).
    pub async fn create_rule(
        &self,
        domain: &str,
        draft: RuleDraft,
        claim: Option<&Claim>,
    ) -> Result<RedeemRule, TallyError> {
        // Checked before an id is taken, so that a bad request changes nothing.
        draft.clone().into_rule(1).map_err(crate::domain::error::Invalid::from)?;
        let output = self
            .update_item(keys::shop(domain))
            .condition_expression(EXISTS)
            .update_expression(NEXT_RULE_ID)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#next", LAST_RULE_ID.name())
            .expression_attribute_values(":one", number(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        let output = match output {
            Ok(output) => output,
            Err(err) if err.refused().is_some() => return Err(Unauthorized::UnknownShop.into()),
            Err(err) => return Err(internal(err)),
        };
        let id = output
            .attributes
            .as_ref()
            .and_then(|a| a.get(LAST_RULE_ID.name()))
            .and_then(|v| v.as_n().ok())
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| TallyError::internal("the rule counter is missing"))?;
        let rule = draft.into_rule(id).map_err(crate::domain::error::Invalid::from)?;
        let mut transaction = Transaction::new();
        transaction.put_new(&self.table, Part::Rule, to_item(&RuleRecord::from(&rule), keys::rule(domain, id))?)?;
        // A rule already under the new id would be a counter gone back: nothing to tell the client but
        // to try again.
        self.write_rule(domain, id, transaction, Effect::Rule { id }, claim).await.map_err(|e| match e {
            TallyError::RuleNotFound(_) => TallyError::Busy,
            other => other,
        })?;
        Ok(rule)
    }

    /// Replaces a rule with `draft`, keeping its id. Rewards already given keep what they were given.
    pub async fn replace_rule(
        &self,
        domain: &str,
        id: u64,
        draft: RuleDraft,
        claim: Option<&Claim>,
    ) -> Result<RedeemRule, TallyError> {
        let rule = draft.into_rule(id).map_err(crate::domain::error::Invalid::from)?;
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&RuleRecord::from(&rule), keys::rule(domain, id))?))
            .condition_expression(EXISTS)
            .expression_attribute_names("#pk", PK.name())
            .build()
            .map_err(TallyError::internal)?;
        let mut transaction = Transaction::new();
        transaction.put(Part::Rule, put);
        self.write_rule(domain, id, transaction, Effect::Rule { id }, claim).await?;
        Ok(rule)
    }

    /// Deletes a rule: it can no longer be redeemed; rewards already given are not touched.
    pub async fn delete_rule(&self, domain: &str, id: u64, claim: Option<&Claim>) -> Result<(), TallyError> {
        let (pk, sk) = keys::rule(domain, id);
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression(EXISTS)
            .expression_attribute_names("#pk", PK.name())
            .build()
            .map_err(TallyError::internal)?;
        let mut transaction = Transaction::new();
        transaction.delete(Part::Rule, delete);
        self.write_rule(domain, id, transaction, Effect::RuleDeleted { id }, claim).await
    }

    /// Writes a change of a rule, with the request's idempotency claim when there is one.
    async fn write_rule(
        &self,
        domain: &str,
        id: u64,
        mut transaction: Transaction,
        effect: Effect,
        claim: Option<&Claim>,
    ) -> Result<(), TallyError> {
        if let Some(claim) = claim {
            transaction.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
        }
        match transaction.commit(&self.client).await {
            Ok(()) => Ok(()),
            Err(TxError::Failed(e)) => Err(e),
            Err(TxError::Cancelled(why)) if why.refused(Part::Rule) => Err(TallyError::RuleNotFound(id)),
            Err(TxError::Cancelled(why)) if why.refused(Part::Claim) => Err(super::claim_lost()),
            Err(TxError::Cancelled(_)) => Err(TallyError::Busy),
        }
    }

    pub async fn get_rule(&self, domain: &str, id: u64) -> Result<RedeemRule, TallyError> {
        let record: Option<RuleRecord> = self.get(keys::rule(domain, id)).await?;
        record.map(RedeemRule::from).ok_or(TallyError::RuleNotFound(id))
    }

    /// All the shop's rules, oldest first.
    pub async fn list_rules(&self, domain: &str) -> Result<Vec<RedeemRule>, TallyError> {
        let (pk, prefix) = keys::rules(domain);
        let items = self.query(pk, SortKey::Prefix(prefix)).await?;
        items.into_iter().map(|item| from_item::<RuleRecord>(item).map(RedeemRule::from)).collect()
    }
}
