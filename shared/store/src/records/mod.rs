//! How DynamoDB holds Tally's things: one record type per kind of item, with the names of its attributes as
//! constants beside it. Every key, condition and update expression in the store names attributes through
//! these constants; the tests below check that each constant is the name its record is written under, so
//! that renaming a field cannot silently change what a condition checks. Records are not API bodies:
//! those are built from domain types in `api::views`.

pub mod customer;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod ledger;
pub mod markers;
pub mod reward;
pub mod rule;
pub mod shop;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use serde::de::DeserializeOwned;
use serde::Serialize;

use tally_app::ports::StoreError;

pub type Item = HashMap<String, AttributeValue>;

/// The name of a stored attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Attribute(pub &'static str);

impl Attribute {
    pub const fn name(self) -> &'static str {
        self.0
    }
}

/// The table's keys, and those of its one index (`keys::GSI1`).
pub const PK: Attribute = Attribute("PK");
pub const SK: Attribute = Attribute("SK");
pub const GSI1PK: Attribute = Attribute("GSI1PK");
pub const GSI1SK: Attribute = Attribute("GSI1SK");

/// DynamoDB's TTL attribute, on the items that expire (idempotency keys, order and delivery markers).
pub const EXPIRES_AT: Attribute = Attribute("expiresAt");

/// Times are stored as RFC 3339 text, to the second, in UTC.
pub use tally_domain::rfc3339;

/// A record as a DynamoDB item under the given key.
pub fn to_item<T: Serialize>(record: &T, (pk, sk): (String, String)) -> Result<Item, StoreError> {
    let mut item: Item =
        serde_dynamo::to_item(record).map_err(|e| StoreError(format!("a record would not serialize: {e}")))?;
    item.insert(PK.name().into(), AttributeValue::S(pk));
    item.insert(SK.name().into(), AttributeValue::S(sk));
    Ok(item)
}

/// Adds the item to the `GSI1` index under `key`.
pub fn listed(mut item: Item, (pk, sk): (String, String)) -> Item {
    item.insert(GSI1PK.name().into(), AttributeValue::S(pk));
    item.insert(GSI1SK.name().into(), AttributeValue::S(sk));
    item
}

pub fn from_item<T: DeserializeOwned>(item: Item) -> Result<T, StoreError> {
    serde_dynamo::from_item(item).map_err(|e| corrupt(format!("a stored item does not have its record's shape: {e}")))
}

/// A stored item that cannot be what its key says: logged, and a failure of the store.
pub fn corrupt(what: impl Into<String>) -> StoreError {
    let what = what.into();
    tracing::error!(error = %what, "an unreadable item");
    StoreError(what)
}

/// The item's sort key.
pub fn sort_key(item: &Item) -> Option<&str> {
    item.get(SK.name()).and_then(|v| v.as_s().ok()).map(String::as_str)
}

/// A number as DynamoDB takes it in an expression.
pub fn number(n: impl ToString) -> AttributeValue {
    AttributeValue::N(n.to_string())
}

/// A string as DynamoDB takes it in an expression.
pub fn text(s: impl Into<String>) -> AttributeValue {
    AttributeValue::S(s.into())
}

#[cfg(test)]
pub(crate) mod check {
    use super::*;

    /// Each attribute is a name the record is written under.
    pub fn written_under<T: Serialize>(record: &T, attributes: &[Attribute]) {
        let item: Item = serde_dynamo::to_item(record).expect("the record serializes");
        for attribute in attributes {
            assert!(item.contains_key(attribute.name()), "{} is not an attribute of {item:?}", attribute.name());
        }
    }
}
