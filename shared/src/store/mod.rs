//! Tally's single DynamoDB table. The access patterns are listed in the README.

mod balance;
mod customers;
mod idempotency;
pub mod keys;
mod listings;
mod orders;
mod rewards;
mod rules;
mod shops;

use std::collections::HashMap;

use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, CancellationReason, GlobalSecondaryIndex, KeySchemaElement,
    KeyType, Projection, ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use balance::BalanceError;
pub use customers::Enrolled;
pub use idempotency::{Begin, Claim};

use crate::domain::customer::Customer;
use crate::domain::error::TallyError;
use crate::domain::reward::{Reward, RewardStatus};

pub type Item = HashMap<String, AttributeValue>;

/// The DynamoDB store: one client, one table.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

impl Store {
    pub fn new(client: Client, table: impl Into<String>) -> Store {
        Store { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table as template.yaml declares it; for local stacks and tests.
    pub async fn create_table(&self) -> Result<(), TallyError> {
        let attribute = |name: &str| {
            AttributeDefinition::builder().attribute_name(name).attribute_type(ScalarAttributeType::S).build()
        };
        let key = |name: &str, kind| KeySchemaElement::builder().attribute_name(name).key_type(kind).build();
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(keys::PK).map_err(TallyError::internal)?)
            .attribute_definitions(attribute(keys::SK).map_err(TallyError::internal)?)
            .key_schema(key(keys::PK, KeyType::Hash).map_err(TallyError::internal)?)
            .key_schema(key(keys::SK, KeyType::Range).map_err(TallyError::internal)?)
            .attribute_definitions(attribute(keys::GSI1PK).map_err(TallyError::internal)?)
            .attribute_definitions(attribute(keys::GSI1SK).map_err(TallyError::internal)?)
            .global_secondary_indexes(
                GlobalSecondaryIndex::builder()
                    .index_name(keys::GSI1)
                    .key_schema(key(keys::GSI1PK, KeyType::Hash).map_err(TallyError::internal)?)
                    .key_schema(key(keys::GSI1SK, KeyType::Range).map_err(TallyError::internal)?)
                    .projection(Projection::builder().projection_type(ProjectionType::All).build())
                    .build()
                    .map_err(TallyError::internal)?,
            )
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    pub async fn delete_table(&self) -> Result<(), TallyError> {
        self.client.delete_table().table_name(&self.table).send().await.map_err(internal)?;
        Ok(())
    }

    /// An `UpdateItem` on the item under `key`, to be given its expressions.
    fn update_item(
        &self,
        (pk, sk): keys::Key,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.client
            .update_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
    }

    async fn get<T: DeserializeOwned>(&self, (pk, sk): (String, String)) -> Result<Option<T>, TallyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(keys::PK, AttributeValue::S(pk))
            .key(keys::SK, AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(internal)?;
        output.item.map(from_item).transpose()
    }

    /// Every item of partition `pk` whose sort key matches, all pages.
    async fn query(&self, pk: String, sort_key: SortKey<'_>) -> Result<Vec<Item>, TallyError> {
        self.query_on(None, pk, sort_key).await
    }

    /// The same on the `GSI1` index, whose reads are eventually consistent.
    async fn query_listing(&self, pk: String, sort_key: SortKey<'_>) -> Result<Vec<Item>, TallyError> {
        self.query_on(Some(keys::GSI1), pk, sort_key).await
    }

    async fn query_on(&self, index: Option<&str>, pk: String, sort_key: SortKey<'_>) -> Result<Vec<Item>, TallyError> {
        let (condition, low, high) = match sort_key {
            SortKey::Prefix(prefix) => ("#pk = :pk AND begins_with(#sk, :sk)", prefix, None),
            SortKey::From(from) => ("#pk = :pk AND #sk >= :sk", from, None),
            SortKey::Between(low, high) => ("#pk = :pk AND #sk BETWEEN :sk AND :high", low, Some(high)),
        };
        let (pk_name, sk_name) = if index.is_some() { (keys::GSI1PK, keys::GSI1SK) } else { (keys::PK, keys::SK) };
        let mut values = HashMap::from([
            (":pk".to_string(), AttributeValue::S(pk)),
            (":sk".to_string(), AttributeValue::S(low.into())),
        ]);
        if let Some(high) = high {
            values.insert(":high".into(), AttributeValue::S(high.into()));
        }
        let mut items = Vec::new();
        let mut start = None;
        loop {
            let page = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_string))
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", pk_name)
                .expression_attribute_names("#sk", sk_name)
                .set_expression_attribute_values(Some(values.clone()))
                .consistent_read(index.is_none())
                .set_exclusive_start_key(start)
                .send()
                .await
                .map_err(internal)?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

/// Which sort keys of a partition a query reads.
enum SortKey<'a> {
    Prefix(&'a str),
    From(&'a str),
    Between(&'a str, &'a str),
}

/// A record as a DynamoDB item under the given key.
fn to_item<T: Serialize>(record: &T, (pk, sk): (String, String)) -> Result<Item, TallyError> {
    let mut item: Item = serde_dynamo::to_item(record).map_err(TallyError::internal)?;
    item.insert(keys::PK.into(), AttributeValue::S(pk));
    item.insert(keys::SK.into(), AttributeValue::S(sk));
    Ok(item)
}

/// Adds the item to the `GSI1` index under `key`.
fn listed(mut item: Item, (pk, sk): keys::Key) -> Item {
    item.insert(keys::GSI1PK.into(), AttributeValue::S(pk));
    item.insert(keys::GSI1SK.into(), AttributeValue::S(sk));
    item
}

/// An item that names a customer: the owner of an email in a shop, or an entry of the shop's customers.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CustomerId {
    customer_id: u64,
}

/// A customer's record.
fn customer_item(domain: &str, customer: &Customer) -> Result<Item, TallyError> {
    to_item(customer, keys::customer(domain, customer.customer_id))
}

/// A customer's entry among the shop's customers.
fn customer_listing_item(domain: &str, customer_id: u64) -> Result<Item, TallyError> {
    to_item(&CustomerId { customer_id }, keys::customer_listing(domain, customer_id))
}

/// A reward, listed among the shop's pending rewards while Shopify has not settled it.
fn reward_item(domain: &str, reward: &Reward) -> Result<Item, TallyError> {
    let item = to_item(reward, keys::reward(domain, reward.customer_id, reward.id))?;
    Ok(match reward.status {
        RewardStatus::Pending => listed(item, keys::pending_listing(domain, &reward.create_at, reward.id)),
        _ => item,
    })
}

fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, TallyError> {
    serde_dynamo::from_item(item).map_err(TallyError::internal)
}

/// An SDK failure the client did not cause: logged in full, reported as a stable 503.
fn internal<E, R>(err: SdkError<E, R>) -> TallyError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    tracing::error!(code = err.code(), error = %aws_sdk_dynamodb::error::DisplayErrorContext(&err), "DynamoDB call failed");
    TallyError::internal(err)
}

fn is_condition_failure<E: ProvideErrorMetadata, R>(err: &SdkError<E, R>) -> bool {
    err.code() == Some("ConditionalCheckFailedException")
}

/// Why a transaction was cancelled: one reason per item, in the order written. `None` when the call failed
/// otherwise.
fn cancellation_reasons<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<&[CancellationReason]> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(e) => Some(e.cancellation_reasons()),
        _ => None,
    }
}

/// Whether a transaction's item was refused by its condition.
fn condition_failed(reason: &CancellationReason) -> bool {
    reason.code() == Some("ConditionalCheckFailed")
}
