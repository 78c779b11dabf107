//! The DynamoDB store: Tally's single table, behind the app's store ports. It decides nothing: it reads
//! records into domain types, and writes what the use cases decided (`commit`) under the conditions they
//! were decided on. `keys` makes every key, `records` holds every item's shape and attribute names,
//! `transaction` names the items of every transaction, and `errors` tells DynamoDB's errors apart by type.
//! The access patterns are listed in the README.

mod batch;
mod commit;
mod erasure;
mod errors;
mod events;
mod idempotency;
pub mod keys;
mod markers;
mod migrations;
mod pages;
mod reads;
pub mod records;
mod rule_writes;
mod shops;
pub mod stream;
mod table;
mod transaction;

use std::collections::HashMap;

use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use serde::de::DeserializeOwned;
use tally_app::ports::store::{Held, StoreResult};
use tally_app::ports::{Store, StoreError};
use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

pub use migrations::PhoneClaims;
pub use table::Stream;

use errors::{failed, written, Written};
use records::jobs::{JobLockRecord, LOCKED_UNTIL, TOKEN};
use records::shop::{ApiKeyRecord, ShopRecord};
use records::{from_item, number, text, to_item, Item, GSI1PK, GSI1SK, PK, SK};

/// The DynamoDB store: one client, one table.
#[derive(Clone, Debug)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

/// One shop's data in the table: every key of it begins with the shop's domain.
#[derive(Clone, Debug)]
pub struct ShopTable<'a> {
    store: &'a DynamoStore,
    domain: &'a ShopDomain,
}

/// Which sort keys of a partition a query reads.
pub(crate) enum SortKey<'a> {
    Any,
    Prefix(&'a str),
    From(&'a str),
    Between(&'a str, &'a str),
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> DynamoStore {
        DynamoStore { client, table: table.into() }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// The record under `key`, read consistently.
    pub(crate) async fn get<T: DeserializeOwned>(&self, (pk, sk): keys::Key) -> StoreResult<Option<T>> {
        let output = self
            .client
            .get_item()
            .table_name(&self.table)
            .key(PK.name(), AttributeValue::S(pk))
            .key(SK.name(), AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await
            .map_err(failed)?;
        output.item.map(from_item).transpose()
    }

    /// Every item of partition `pk` whose sort key matches, all pages.
    pub(crate) async fn query(&self, pk: String, sort_key: SortKey<'_>) -> StoreResult<Vec<Item>> {
        self.query_on(None, pk, sort_key).await
    }

    /// The same on the `GSI1` index, whose reads are eventually consistent.
    pub(crate) async fn query_listing(&self, pk: String, sort_key: SortKey<'_>) -> StoreResult<Vec<Item>> {
        self.query_on(Some(keys::GSI1), pk, sort_key).await
    }

    async fn query_on(&self, index: Option<&str>, pk: String, sort_key: SortKey<'_>) -> StoreResult<Vec<Item>> {
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
                .map_err(failed)?;
            items.extend(page.items.unwrap_or_default());
            start = page.last_evaluated_key;
            if start.is_none() {
                return Ok(items);
            }
        }
    }
}

impl Store for DynamoStore {
    type Shop<'a> = ShopTable<'a>;

    fn shop<'a>(&'a self, domain: &'a ShopDomain) -> ShopTable<'a> {
        ShopTable { store: self, domain }
    }

    async fn shops(&self) -> StoreResult<Vec<Shop>> {
        let items = self.query_listing(keys::SHOPS.into(), SortKey::Any).await?;
        // One shop's unreadable item must not stop the jobs for every other shop: it is logged and left.
        let readable =
            items.into_iter().filter_map(|item| match from_item::<ShopRecord>(item).and_then(Shop::try_from) {
                Ok(shop) => Some(shop),
                Err(e) => {
                    tracing::error!(error = %e, "a shop's item cannot be read; it is left out");
                    None
                }
            });
        Ok(readable.collect())
    }

    async fn shop_for_key(&self, hash: &str) -> StoreResult<Option<Shop>> {
        let Some(record) = self.get::<ApiKeyRecord>(keys::api_key(hash)).await? else { return Ok(None) };
        let domain = ShopDomain::parse(&record.shop).map_err(|e| StoreError(e.to_string()))?;
        self.get::<ShopRecord>(keys::shop(&domain)).await?.map(Shop::try_from).transpose()
    }

    async fn lock_job(&self, job: &str, token: &str, now: Time, until: Time) -> StoreResult<Held> {
        let record = JobLockRecord {
            token: token.into(),
            locked_until: until.unix_timestamp(),
            // Gone some time after it lapses, by the table's TTL.
            expires_at: until.unix_timestamp() + 24 * 3600,
        };
        let put = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record, keys::job(job))?))
            .condition_expression("attribute_not_exists(#pk) OR #lockedUntil < :now")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#lockedUntil", LOCKED_UNTIL.name())
            .expression_attribute_values(":now", number(now.unix_timestamp()))
            .send()
            .await;
        Ok(match written(put)? {
            Written::Done => Held::Taken,
            Written::Refused => Held::Elsewhere,
        })
    }

    async fn redactions(&self) -> StoreResult<Vec<ShopDomain>> {
        let items = self.query(keys::REDACTIONS.into(), SortKey::Any).await?;
        items
            .iter()
            .map(|item| {
                let sk = records::sort_key(item).unwrap_or_default();
                ShopDomain::parse(sk).map_err(|_| records::corrupt("a redaction of no shop"))
            })
            .collect()
    }

    async fn unlock_job(&self, job: &str, token: &str) -> StoreResult<()> {
        let (pk, sk) = keys::job(job);
        let delete = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression("#token = :token")
            .expression_attribute_names("#token", TOKEN.name())
            .expression_attribute_values(":token", text(token))
            .send()
            .await;
        written(delete).map(|_| ())
    }
}
