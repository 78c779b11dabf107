//! What the jobs and the audit visit: every shop, a shop's customers, its pending and reviewed rewards.

use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue};

use super::{from_item, internal, is_condition_failure, keys, CustomerId, SortKey, Store};
use crate::domain::error::TallyError;
use crate::domain::reward::Reward;
use crate::domain::shop::Shop;

const PENDING_AND_NOT_IN_REVIEW: &str = "#status = :pending AND attribute_not_exists(#review)";

impl Store {
    pub async fn list_shops(&self) -> Result<Vec<Shop>, TallyError> {
        let (pk, _) = keys::shop_listing("");
        self.query_listing(pk, SortKey::From("")).await?.into_iter().map(from_item).collect()
    }

    /// The ids of the shop's customers, ever enrolled.
    pub async fn list_customers(&self, domain: &str) -> Result<Vec<u64>, TallyError> {
        let (pk, _) = keys::customer_listing(domain, 0);
        let items = self.query(pk, SortKey::Prefix(keys::CUSTOMER_LISTING_PREFIX)).await?;
        items.into_iter().map(|item| from_item::<CustomerId>(item).map(|listed| listed.customer_id)).collect()
    }

    /// The shop's rewards still `PENDING` that were created at or before `before` (RFC 3339), oldest first.
    pub async fn pending_rewards(&self, domain: &str, before: &str) -> Result<Vec<Reward>, TallyError> {
        let (pk, _) = keys::pending_listing(domain, "", 0);
        // `~` sorts after every reward id, so rewards of the cutoff's own second are included.
        let high = format!("{}{before}#~", keys::PENDING_LISTING_PREFIX);
        let items = self.query_listing(pk, SortKey::Between(keys::PENDING_LISTING_PREFIX, &high)).await?;
        items.into_iter().map(from_item).collect()
    }

    /// The shop's rewards waiting for an operator's decision.
    pub async fn rewards_in_review(&self, domain: &str) -> Result<Vec<Reward>, TallyError> {
        let (pk, _) = keys::review_listing(domain, "", 0);
        let items = self.query_listing(pk, SortKey::Prefix(keys::REVIEW_LISTING_PREFIX)).await?;
        items.into_iter().map(from_item).collect()
    }

    /// Takes a pending reward out of reconciliation for an operator to decide; it keeps its points held.
    pub async fn mark_for_review(&self, domain: &str, reward: &Reward, reason: &str) -> Result<Reward, TallyError> {
        let (pk, sk) = keys::reward(domain, reward.customer_id, reward.id);
        let (_, listing) = keys::review_listing(domain, &reward.create_at, reward.id);
        let result = self
            .update_item((pk, sk))
            .condition_expression(PENDING_AND_NOT_IN_REVIEW)
            .update_expression("SET #review = :reason, #gsk = :listing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_names("#review", "reviewReason")
            .expression_attribute_names("#gsk", keys::GSI1SK)
            .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":reason", AttributeValue::S(reason.into()))
            .expression_attribute_values(":listing", AttributeValue::S(listing))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => from_item(output.attributes.unwrap_or_default()),
            Err(err) if is_condition_failure(&err) => self.reward(domain, reward.customer_id, reward.id).await,
            Err(err) => Err(internal(err)),
        }
    }
}
