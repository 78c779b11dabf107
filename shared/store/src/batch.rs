//! Writes of many items at once (`BatchWriteItem`, 25 a call): a shop's deletion, and seeding a large shop
//! for benchmarks and scale tests. Nothing here is conditioned: never for balances a request changes. And
//! consistent reads of many items at once (`BatchGetItem`, 100 a call): a redemption's customer and rule,
//! the rewards of a page of the journal.

use aws_sdk_dynamodb::types::{AttributeValue, KeysAndAttributes, PutRequest, WriteRequest};
use tally_app::ports::store::StoreResult;
use tally_app::ports::StoreError;
use tally_domain::customer::Customer;
use tally_domain::ledger::{LedgerEntry, LedgerKind};
use tally_domain::reward::Reward;

use crate::errors::{failed, unbuilt};
use crate::records::customer::{CustomerIdRecord, CustomerRecord};
use crate::records::ledger::LedgerRecord;
use crate::records::reward::{CodeOwnerRecord, RewardRecord};
use crate::records::{listed, to_item, Item, PK, SK};
use crate::{keys, DynamoStore, ShopTable};

/// DynamoDB's most items in one `BatchWriteItem`.
const BATCH: usize = 25;
/// DynamoDB's most items in one `BatchGetItem`.
const GET_BATCH: usize = 100;
/// A batch DynamoDB keeps leaving unprocessed gives up after this many tries.
const ATTEMPTS: u32 = 10;

impl DynamoStore {
    /// Makes the requests, 25 at a time, retrying what DynamoDB leaves unprocessed.
    pub(crate) async fn batch_write(&self, requests: Vec<WriteRequest>) -> StoreResult<()> {
        for chunk in requests.chunks(BATCH) {
            let mut requests = chunk.to_vec();
            for attempt in 0..ATTEMPTS {
                if requests.is_empty() {
                    break;
                }
                let output =
                    self.client.batch_write_item().request_items(&self.table, requests).send().await.map_err(failed)?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5))).await;
                }
            }
            if !requests.is_empty() {
                return Err(StoreError("DynamoDB kept leaving writes unprocessed".into()));
            }
        }
        Ok(())
    }
}

impl DynamoStore {
    /// The items under `keys`, read consistently, 100 a call, retrying what DynamoDB leaves unprocessed;
    /// in no order, once each, and without the keys that hold none.
    pub(crate) async fn get_many(&self, mut keys: Vec<keys::Key>) -> StoreResult<Vec<Item>> {
        keys.sort();
        keys.dedup();
        let mut found = Vec::new();
        for chunk in keys.chunks(GET_BATCH) {
            found.extend(self.get_batch(chunk).await?);
        }
        Ok(found)
    }

    async fn get_batch(&self, keys: &[keys::Key]) -> StoreResult<Vec<Item>> {
        let key = |(pk, sk): &keys::Key| {
            Item::from([
                (PK.name().into(), AttributeValue::S(pk.clone())),
                (SK.name().into(), AttributeValue::S(sk.clone())),
            ])
        };
        let keys = keys.iter().map(key).collect();
        let mut wanted =
            KeysAndAttributes::builder().set_keys(Some(keys)).consistent_read(true).build().map_err(unbuilt)?;
        let mut found = Vec::new();
        for attempt in 0..ATTEMPTS {
            let output =
                self.client.batch_get_item().request_items(&self.table, wanted).send().await.map_err(failed)?;
            found.extend(output.responses.and_then(|mut r| r.remove(&self.table)).unwrap_or_default());
            match output.unprocessed_keys.and_then(|mut u| u.remove(&self.table)).filter(|k| !k.keys.is_empty()) {
                None => return Ok(found),
                Some(_) if attempt + 1 == ATTEMPTS => break,
                Some(left) => wanted = left,
            }
            tokio::time::sleep(std::time::Duration::from_millis(10 << attempt.min(5))).await;
        }
        Err(StoreError("DynamoDB kept leaving reads unprocessed".into()))
    }
}

fn put(item: Item) -> StoreResult<WriteRequest> {
    Ok(WriteRequest::builder()
        .put_request(PutRequest::builder().set_item(Some(item)).build().map_err(unbuilt)?)
        .build())
}

impl ShopTable<'_> {
    /// Writes customers as they are: profile, listing, the items of their identifiers and their lots' days.
    pub async fn seed_customers(&self, customers: &[Customer]) -> StoreResult<()> {
        let mut requests = Vec::new();
        for customer in customers {
            let (id, listing) = (customer.customer_id, CustomerIdRecord::of(customer.customer_id));
            requests.push(put(to_item(&CustomerRecord::from(customer), keys::customer(self.domain, id))?)?);
            requests.push(put(to_item(&listing, keys::customer_listing(self.domain, id))?)?);
            for identity in customer.identities() {
                requests.push(put(to_item(&listing, keys::identity(self.domain, &identity))?)?);
            }
            for day in customer.lots.days() {
                requests.push(put(to_item(&listing, keys::lot_listing(self.domain, day, id))?)?);
            }
        }
        self.store.batch_write(requests).await
    }

    /// Writes rewards as they are, listed where they stand, with the items of their codes; a journaled one
    /// with a ledger entry that paid for it (under the reward's id as its number), in the journal.
    pub async fn seed_rewards(&self, rewards: &[Reward]) -> StoreResult<()> {
        let mut requests = Vec::new();
        for reward in rewards {
            let mut item = to_item(&RewardRecord::from(reward), keys::reward(self.domain, reward))?;
            if let Some(listing) = reward.listing() {
                item = listed(item, keys::listing(self.domain, listing, reward.id));
            }
            requests.push(put(item)?);
            if reward.journaled {
                let paid = LedgerEntry {
                    seq: reward.id.get(),
                    customer_id: reward.customer_id,
                    kind: LedgerKind::Redeem,
                    delta: -reward.points_redeemed,
                    reserved_delta: 0,
                    balance_after: 0,
                    reason: "seeded".into(),
                    reward_id: Some(reward.id),
                    order_id: None,
                    at: reward.create_at,
                };
                let entry =
                    to_item(&LedgerRecord::from(&paid), keys::ledger(self.domain, reward.customer_id, paid.seq))?;
                requests.push(put(listed(entry, keys::journal_entry(self.domain, reward.create_at, reward.id)))?);
            }
            if let Some(code) = &reward.discount_code {
                let owner = CodeOwnerRecord { customer_id: reward.customer_id.get(), reward_id: reward.id.get() };
                requests.push(put(to_item(&owner, keys::code(self.domain, code))?)?);
            }
        }
        self.store.batch_write(requests).await
    }
}
