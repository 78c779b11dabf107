//! The DynamoDB adapter: Tally's single table. It depends on the domain only. `keys` makes every key,
//! `records` holds every item's shape and attribute names, `transaction` names the items of every
//! transaction, and `errors` tells DynamoDB's errors apart by type. The access patterns are listed in
//! the README.

mod balance;
mod customers;
mod errors;
mod idempotency;
mod jobs;
pub mod keys;
mod listings;
mod markers;
mod migrations;
mod privacy;
pub mod records;
mod refunds;
mod rewards;
mod rules;
mod shops;
mod tokens;
mod transaction;
mod transitions;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;

pub use idempotency::{Begin, Claim};
pub use jobs::JobLock;
pub use records::reward::CodeOwnerRecord as CodeOwner;
pub use tokens::SharedToken;

use crate::domain::error::TallyError;
use errors::internal;
use records::{from_item, Attribute, Item, GSI1PK, GSI1SK, PK, SK};

/// The DynamoDB store: one client, one table.
#[derive(Clone, Debug)]
pub struct Store {
    client: Client,
    table: String,
}

/// Which sort keys of a partition a query reads.
enum SortKey<'a> {
    Any,
    Prefix(&'a str),
    From(&'a str),
    Between(&'a str, &'a str),
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
        let attribute = |name: Attribute| {
            AttributeDefinition::builder()
                .attribute_name(name.name())
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(TallyError::internal)
        };
        let key = |name: Attribute, kind| {
            KeySchemaElement::builder().attribute_name(name.name()).key_type(kind).build().map_err(TallyError::internal)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(keys::GSI1)
            .key_schema(key(GSI1PK, KeyType::Hash)?)
            .key_schema(key(GSI1SK, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(TallyError::internal)?;
        self.client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .attribute_definitions(attribute(PK)?)
            .attribute_definitions(attribute(SK)?)
            .attribute_definitions(attribute(GSI1PK)?)
            .attribute_definitions(attribute(GSI1SK)?)
            .key_schema(key(PK, KeyType::Hash)?)
            .key_schema(key(SK, KeyType::Range)?)
            .global_secondary_indexes(index)
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
            .key(PK.name(), AttributeValue::S(pk))
            .key(SK.name(), AttributeValue::S(sk))
    }

    /// The record under `key`, read consistently.
    async fn get<T: DeserializeOwned>(&self, (pk, sk): keys::Key) -> Result<Option<T>, TallyError> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK.name(), AttributeValue::S(pk))
            .key(SK.name(), AttributeValue::S(sk))
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
            SortKey::Any => ("#pk = :pk", None, None),
            SortKey::Prefix(prefix) => ("#pk = :pk AND begins_with(#sk, :sk)", Some(prefix), None),
            SortKey::From(from) => ("#pk = :pk AND #sk >= :sk", Some(from), None),
            SortKey::Between(low, high) => ("#pk = :pk AND #sk BETWEEN :sk AND :high", Some(low), Some(high)),
        };
        let (pk_name, sk_name) = if index.is_some() { (GSI1PK, GSI1SK) } else { (PK, SK) };
        let mut values = HashMap::from([(":pk".to_string(), AttributeValue::S(pk))]);
        let mut names = HashMap::from([("#pk".to_string(), pk_name.name().to_string())]);
        if let Some(low) = low {
            values.insert(":sk".into(), AttributeValue::S(low.into()));
            names.insert("#sk".into(), sk_name.name().into());
        }
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
                .set_expression_attribute_names(Some(names.clone()))
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

/// The claim on the idempotency key was taken over: another attempt of the request owns it now.
pub(crate) fn claim_lost() -> TallyError {
    TallyError::RequestInProgress
}
