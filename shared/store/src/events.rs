//! The events use case's items (`tally_app::ports::events`): marks of what EventBridge and Flow took,
//! the outbox of deliveries to try again and the dead letters, the shop's Klaviyo key, and the notices
//! of points about to expire.

use aws_sdk_dynamodb::types::{Delete, Put, TransactWriteItem};
use tally_app::ports::events::{EventStore, NoticeMark, Retry};
use tally_app::ports::store::{Created, StoreResult};
use tally_domain::events::{Destination, Expiring};
use tally_domain::ids::CustomerId;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use crate::errors::{failed, written, Written};
use crate::records::events::{KlaviyoKeyRecord, NoticeRecord, NoticedRecord, RetryRecord};
use crate::records::{from_item, text, to_item, Item, PK, SK};
use crate::{keys, DynamoStore, ShopTable};

/// How long a notice is kept after its lot's day: past any run that could notice it again.
const NOTICE_KEPT: i64 = 30 * 24 * 3600;

fn retry_key(retry: &Retry) -> keys::Key {
    keys::outbox(retry.dead.is_some(), retry.due, &retry.shop, retry.destination, &retry.event_id)
}

impl DynamoStore {
    /// The first `limit` items of each of the outbox's (or the dead letters') partitions, up to `until`.
    async fn outbox_items(&self, dead: bool, until: Option<String>, limit: usize) -> StoreResult<Vec<Retry>> {
        let reads = keys::outbox_partitions(dead).into_iter().map(|partition| {
            let (condition, high) = match &until {
                Some(high) => ("#pk = :pk AND #sk <= :high", Some(high.clone())),
                None => ("#pk = :pk", None),
            };
            let mut query = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(condition)
                .expression_attribute_names("#pk", PK.name())
                .expression_attribute_values(":pk", text(partition))
                .limit(i32::try_from(limit).unwrap_or(i32::MAX));
            if let Some(high) = high {
                query =
                    query.expression_attribute_names("#sk", SK.name()).expression_attribute_values(":high", text(high));
            }
            async move { query.send().await.map_err(failed) }
        });
        let mut retries = Vec::new();
        for page in futures::future::try_join_all(reads).await? {
            for item in page.items.unwrap_or_default() {
                // One that cannot be read is left, logged, rather than stop every other's delivery.
                match from_item::<RetryRecord>(item).and_then(Retry::try_from) {
                    Ok(retry) => retries.push(retry),
                    Err(e) => tracing::error!(error = %e, "events: an outbox item that cannot be read"),
                }
            }
        }
        retries.sort_by_key(|r| r.due);
        retries.truncate(limit);
        Ok(retries)
    }

    fn retry_put(&self, retry: &Retry) -> StoreResult<Put> {
        let item = to_item(&RetryRecord::from(retry), retry_key(retry))?;
        Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(crate::errors::unbuilt)
    }
}

impl EventStore for DynamoStore {
    async fn event_sent(&self, shop: &ShopDomain, event: &str, to: Destination) -> StoreResult<bool> {
        let key = keys::event_sent(shop, event, to);
        Ok(self.get::<crate::records::markers::MarkerRecord>(key).await?.is_some())
    }

    async fn record_event_sent(&self, shop: &ShopDomain, event: &str, to: Destination, at: Time) -> StoreResult<()> {
        ShopTable { store: self, domain: shop }.put_marker(keys::event_sent(shop, event, to), at).await
    }

    async fn klaviyo_key(&self, shop: &ShopDomain) -> StoreResult<Option<String>> {
        Ok(self.get::<KlaviyoKeyRecord>(keys::klaviyo_key(shop)).await?.map(|r| r.key))
    }

    async fn set_klaviyo_key(&self, shop: &ShopDomain, key: Option<&str>) -> StoreResult<()> {
        let (pk, sk) = keys::klaviyo_key(shop);
        match key {
            Some(key) => {
                let item = to_item(&KlaviyoKeyRecord { key: key.to_string() }, (pk, sk))?;
                self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(failed)?;
            }
            None => {
                let delete = self.client.delete_item().table_name(&self.table);
                delete.key(PK.name(), text(pk)).key(SK.name(), text(sk)).send().await.map_err(failed)?;
            }
        }
        Ok(())
    }

    async fn hold(&self, retry: &Retry) -> StoreResult<()> {
        let item = to_item(&RetryRecord::from(retry), retry_key(retry))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(failed)?;
        Ok(())
    }

    async fn due(&self, now: Time, limit: usize) -> StoreResult<Vec<Retry>> {
        self.outbox_items(false, Some(keys::due_by(now)), limit).await
    }

    async fn dead_letters(&self, limit: usize) -> StoreResult<Vec<Retry>> {
        self.outbox_items(true, None, limit).await
    }

    async fn retried(&self, done: &Retry, next: Option<&Retry>) -> StoreResult<()> {
        let (pk, sk) = retry_key(done);
        // Only if it is still there: of two runs that tried it, one moves it.
        let delete = Delete::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression("attribute_exists(#pk)")
            .expression_attribute_names("#pk", PK.name())
            .build()
            .map_err(crate::errors::unbuilt)?;
        let mut items = vec![TransactWriteItem::builder().delete(delete).build()];
        if let Some(next) = next {
            items.push(TransactWriteItem::builder().put(self.retry_put(next)?).build());
        }
        match self.client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(e) if crate::transaction::cancelled_by_condition(&e) => {
                tracing::warn!(event = %done.event_id, "events: another run moved this held delivery");
                Ok(())
            }
            Err(e) => Err(failed(e)),
        }
    }

    async fn notice_expiring(
        &self,
        shop: &ShopDomain,
        customer: CustomerId,
        expiring: Expiring,
        at: Time,
    ) -> StoreResult<Created> {
        let record = NoticeRecord {
            customer_id: customer.get(),
            points: expiring.points,
            lot_expires_at: expiring.at,
            at,
            expires_at: expiring.at.unix_timestamp() + NOTICE_KEPT,
        };
        let item: Item = to_item(&record, keys::notice(shop, customer, expiring.at.date()))?;
        let put = self.client.put_item().table_name(&self.table).set_item(Some(item));
        let put = put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK.name());
        match written(put.send().await)? {
            Written::Done => Ok(Created::New),
            Written::Refused => Ok(Created::Exists),
        }
    }

    async fn notice_mark(&self, shop: &ShopDomain) -> StoreResult<Option<NoticeMark>> {
        Ok(self.get::<NoticedRecord>(keys::noticed(shop)).await?.map(NoticeMark::from))
    }

    async fn set_notice_mark(&self, shop: &ShopDomain, mark: &NoticeMark) -> StoreResult<()> {
        let item = to_item(&NoticedRecord::from(mark), keys::noticed(shop))?;
        self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(failed)?;
        Ok(())
    }
}
