//! Deleting what Shopify's compliance webhooks ask to delete, and writing a customer's record as it is (for
//! seeding a local stack and tests).

use aws_sdk_dynamodb::types::{DeleteRequest, WriteRequest};
use tally_app::ports::store::{Created, Erasure, StoreResult};
use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;

use crate::errors::{failed, unbuilt, written, Written};
use crate::pages::Range;
use crate::records::customer::{CustomerIdRecord, CustomerRecord};
use crate::records::reward::RewardRecord;
use crate::records::shop::{RedactionRecord, ShopKeyRecord};
use crate::records::{from_item, sort_key, text, to_item, Item, PK, SK};
use crate::{keys, ShopTable, SortKey};

impl Erasure for ShopTable<'_> {
    /// The customer's partition (profile, rewards, ledger), the items that find them by an identifier (only
    /// where still theirs) or by a code, their lot listings, and their entry among the shop's customers,
    /// last, so that a deletion cut short is found again.
    async fn delete_customer(&self, customer: CustomerId) -> StoreResult<()> {
        let items = self.store.query(keys::customer_partition(self.domain, customer), SortKey::Any).await?;
        let mut doomed: Vec<keys::Key> = Vec::new();
        for item in &items {
            match sort_key(item) {
                Some(keys::PROFILE) => {
                    let profile = Customer::try_from(from_item::<CustomerRecord>(item.clone())?)?;
                    for identity in profile.identities() {
                        let key = keys::identity(self.domain, &identity);
                        let owner: Option<CustomerIdRecord> = self.store.get(key.clone()).await?;
                        if owner.is_some_and(|o| o.customer_id == customer.get()) {
                            doomed.push(key);
                        }
                    }
                    for day in profile.lots.days() {
                        doomed.push(keys::lot_listing(self.domain, day, customer));
                        doomed.push(keys::unsharded_lot_listing(self.domain, day, customer));
                    }
                }
                Some(sk) if sk.starts_with(keys::REWARD_PREFIX) => {
                    let reward: RewardRecord = from_item(item.clone())?;
                    doomed.extend(reward.discount_code.map(|code| keys::code(self.domain, &code)));
                }
                _ => {}
            }
            doomed.push(key_of(item));
        }
        self.delete_all(doomed).await?;
        self.delete_all(vec![keys::customer_listing(self.domain, customer)]).await
    }

    /// The shop's own items: its rules, its keys (and the items that open it), its lot listings, its secrets
    /// and token, and the shop itself. Its customers are deleted before, one by one.
    async fn delete_shop(&self) -> StoreResult<()> {
        let (pk, _) = keys::shop(self.domain);
        let items = self.store.query(pk, SortKey::Any).await?;
        let mut doomed: Vec<keys::Key> = Vec::new();
        for item in &items {
            if sort_key(item).is_some_and(|sk| sk.starts_with(keys::shop_keys(self.domain).1)) {
                let key: ShopKeyRecord = from_item(item.clone())?;
                doomed.push(keys::api_key(&key.hash));
            }
        }
        // The lot listings and the markers of orders and deliveries, a page at a time (idempotency keys are
        // found by no key: they go within 48 hours, by the table's TTL).
        for partition in keys::lot_listings(self.domain) {
            self.delete_partition(partition).await?;
        }
        for shard in 0..keys::MARKER_SHARDS {
            self.delete_partition(keys::markers(self.domain, shard)).await?;
        }
        doomed.extend([
            keys::secrets(self.domain),
            keys::klaviyo_key(self.domain),
            keys::token(self.domain),
            keys::static_token(self.domain),
        ]);
        // The shop's partition last: its item is what a retry verifies the next delivery with.
        doomed.extend(items.iter().map(key_of));
        self.delete_all(doomed).await
    }

    async fn begin_redaction(&self, at: tally_domain::Time) -> StoreResult<Created> {
        let record = RedactionRecord { requested_at: at };
        let put = self
            .store
            .client
            .put_item()
            .table_name(&self.store.table)
            .set_item(Some(to_item(&record, keys::redaction(self.domain))?))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK.name())
            .send()
            .await;
        Ok(match written(put)? {
            Written::Done => Created::New,
            Written::Refused => Created::Exists,
        })
    }

    async fn end_redaction(&self) -> StoreResult<()> {
        self.delete_all(vec![keys::redaction(self.domain)]).await
    }
}

impl ShopTable<'_> {
    /// Deletes every item of a partition, a page at a time, so that no more than a page is held.
    async fn delete_partition(&self, pk: String) -> StoreResult<()> {
        let mut after = None;
        loop {
            let range = Range { index: false, pk: pk.clone(), low: "!", high: "\u{10FFFF}" };
            let (items, next) = self.store.page(range, after.as_ref(), 1000).await?;
            self.delete_all(items.iter().map(key_of).collect()).await?;
            match next {
                Some(next) => after = Some(next),
                None => return Ok(()),
            }
        }
    }

    /// Deletes the items, 25 at a time, retrying what DynamoDB leaves unprocessed.
    async fn delete_all(&self, doomed: Vec<keys::Key>) -> StoreResult<()> {
        let requests: Vec<WriteRequest> = doomed.iter().map(delete_request).collect::<Result<_, _>>()?;
        self.store.batch_write(requests).await
    }

    /// Writes a customer record as it is, with its listing and identities, replacing what is there: for
    /// seeding a local stack and tests, never for balances.
    pub async fn put_customer_record(&self, customer: &Customer) -> StoreResult<()> {
        let listing = CustomerIdRecord::of(customer.customer_id);
        let mut items = vec![
            to_item(&CustomerRecord::from(customer), keys::customer(self.domain, customer.customer_id))?,
            to_item(&listing, keys::customer_listing(self.domain, customer.customer_id))?,
        ];
        for identity in customer.identities() {
            items.push(to_item(&listing, keys::identity(self.domain, &identity))?);
        }
        for item in items {
            self.store
                .client
                .put_item()
                .table_name(&self.store.table)
                .set_item(Some(item))
                .send()
                .await
                .map_err(failed)?;
        }
        Ok(())
    }
}

fn key_of(item: &Item) -> keys::Key {
    let part = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    (part(PK.name()), part(SK.name()))
}

fn delete_request((pk, sk): &keys::Key) -> StoreResult<WriteRequest> {
    let delete = DeleteRequest::builder()
        .key(PK.name(), text(pk.clone()))
        .key(SK.name(), text(sk.clone()))
        .build()
        .map_err(unbuilt)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}
