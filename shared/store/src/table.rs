//! The table itself, as template.yaml declares it: created for local stacks and tests.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection, ProjectionType,
    ScalarAttributeType, StreamSpecification, StreamViewType,
};
use tally_app::ports::store::StoreResult;

use crate::errors::{failed, unbuilt};
use crate::records::{Attribute, GSI1PK, GSI1SK, PK, SK};
use crate::{keys, DynamoStore};

/// Whether a table made here has its stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    On,
    Off,
}

impl DynamoStore {
    /// Creates the table as template.yaml declares it, its stream included; for local stacks and tests.
    pub async fn create_table(&self) -> StoreResult<()> {
        self.create_table_with(Stream::On).await
    }

    /// Creates the table, with its stream or without. DynamoDB Local slows down under many concurrent
    /// transactions on a table with a stream (a request of the webhook chaos test waits over a minute), so
    /// the tests that do not read the stream make their tables without one.
    pub async fn create_table_with(&self, stream: Stream) -> StoreResult<()> {
        let attribute = |name: Attribute| {
            AttributeDefinition::builder()
                .attribute_name(name.name())
                .attribute_type(ScalarAttributeType::S)
                .build()
                .map_err(unbuilt)
        };
        let key = |name: Attribute, kind| {
            KeySchemaElement::builder().attribute_name(name.name()).key_type(kind).build().map_err(unbuilt)
        };
        let index = GlobalSecondaryIndex::builder()
            .index_name(keys::GSI1)
            .key_schema(key(GSI1PK, KeyType::Hash)?)
            .key_schema(key(GSI1SK, KeyType::Range)?)
            .projection(Projection::builder().projection_type(ProjectionType::All).build())
            .build()
            .map_err(unbuilt)?;
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
            // The events function reads the stream: every write, with the item before and after.
            .set_stream_specification(match stream {
                Stream::On => Some(
                    StreamSpecification::builder()
                        .stream_enabled(true)
                        .stream_view_type(StreamViewType::NewAndOldImages)
                        .build()
                        .map_err(unbuilt)?,
                ),
                Stream::Off => None,
            })
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    pub async fn delete_table(&self) -> StoreResult<()> {
        self.client.delete_table().table_name(&self.table).send().await.map_err(failed)?;
        Ok(())
    }
}
