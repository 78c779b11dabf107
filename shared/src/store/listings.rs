//! What the jobs and the audit visit: every shop, a shop's customers, its pending, reviewed and expiring
//! rewards.

use aws_sdk_dynamodb::types::ReturnValue;

use super::errors::{internal, Conditional};
use super::records::customer::CustomerIdRecord;
use super::records::reward::{RewardRecord, REVIEW_REASON, STATUS};
use super::records::shop::ShopRecord;
use super::records::{from_item, text, GSI1SK};
use super::rewards::rewards;
use super::{keys, SortKey, Store};
use crate::domain::error::TallyError;
use crate::domain::reward::{Reward, RewardStatus};
use crate::domain::shop::Shop;
use crate::domain::Time;

const PENDING_AND_NOT_IN_REVIEW: &str = "#status = :pending AND attribute_not_exists(#review)";

impl Store {
    /// Every shop connected to Tally.
    pub async fn list_shops(&self) -> Result<Vec<Shop>, TallyError> {
        let items = self.query_listing(keys::SHOPS.into(), SortKey::Any).await?;
        // One shop's unreadable item must not stop the jobs for every other shop: it is logged and left.
        let readable = items.into_iter().filter_map(|item| match from_item::<ShopRecord>(item) {
            Ok(record) => Some(Shop::from(record)),
            Err(e) => {
                tracing::error!(error = %e, "a shop's item cannot be read; it is left out");
                None
            }
        });
        Ok(readable.collect())
    }

    /// The ids of the shop's customers, ever enrolled.
    pub async fn list_customers(&self, domain: &str) -> Result<Vec<u64>, TallyError> {
        let items = self.query(keys::customers(domain), SortKey::Prefix(keys::CUSTOMER_LISTING_PREFIX)).await?;
        items.into_iter().map(|item| from_item::<CustomerIdRecord>(item).map(|listed| listed.customer_id)).collect()
    }

    /// The shop's rewards still `PENDING` that were created at or before `before`, oldest first.
    pub async fn pending_rewards(&self, domain: &str, before: Time) -> Result<Vec<Reward>, TallyError> {
        let (pk, low, high) = keys::pending_until(domain, before);
        rewards(self.query_listing(pk, SortKey::Between(&low, &high)).await?)
    }

    /// The shop's unused rewards whose end is at or before `before`.
    pub async fn expiring_rewards(&self, domain: &str, before: Time) -> Result<Vec<Reward>, TallyError> {
        let (pk, low, high) = keys::expiring_until(domain, before);
        rewards(self.query_listing(pk, SortKey::Between(&low, &high)).await?)
    }

    /// The shop's rewards waiting for an operator's decision.
    pub async fn rewards_in_review(&self, domain: &str) -> Result<Vec<Reward>, TallyError> {
        rewards(self.query_listing(keys::listings(domain), SortKey::Prefix(keys::REVIEW_LISTING_PREFIX)).await?)
    }

    /// Takes a pending reward out of reconciliation for an operator to decide; it keeps its points held.
    pub async fn mark_for_review(&self, domain: &str, reward: &Reward, reason: &str) -> Result<Reward, TallyError> {
        let (_, listing) = keys::review_listing(domain, reward.create_at, reward.id);
        let result = self
            .update_item(keys::reward(domain, reward.customer_id, reward.id))
            .condition_expression(PENDING_AND_NOT_IN_REVIEW)
            .update_expression("SET #review = :reason, #gsk = :listing")
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#review", REVIEW_REASON.name())
            .expression_attribute_names("#gsk", GSI1SK.name())
            .expression_attribute_values(":pending", text(RewardStatus::Pending.as_str()))
            .expression_attribute_values(":reason", text(reason))
            .expression_attribute_values(":listing", text(listing))
            .return_values(ReturnValue::AllNew)
            .send()
            .await;
        match result {
            Ok(output) => Ok(from_item::<RewardRecord>(output.attributes.unwrap_or_default())?.into()),
            Err(err) if err.refused().is_some() => self.reward(domain, reward.customer_id, reward.id).await,
            Err(err) => Err(internal(err)),
        }
    }
}
