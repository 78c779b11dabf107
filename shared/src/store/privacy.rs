//! Personal data taken away when Shopify asks: a customer's contact details (`customers/redact`), and all
//! of a shop's items (`shop/redact`).

use aws_sdk_dynamodb::types::{DeleteRequest, Put, ReturnValuesOnConditionCheckFailure, WriteRequest};

use super::customers::Identity;
use super::errors::internal;
use super::keys::{self, Key};
use super::records::customer::{CustomerRecord, VERSION};
use super::records::reward::RewardRecord;
use super::records::shop::ShopKeyRecord;
use super::records::{from_item, number, sort_key, text, to_item, Item, PK, SK};
use super::transaction::{Part, Transaction, TxError};
use super::{SortKey, Store};
use crate::domain::customer::Customer;
use crate::domain::error::TallyError;

/// DynamoDB's most items in one `BatchWriteItem`.
const BATCH: usize = 25;
/// A contact details' erasure that keeps losing races gives up after this many tries (`TRY_AGAIN`).
const ATTEMPTS: usize = 10;

impl Store {
    /// Erases the customer's email, phone and external id, and the items that find the customer by them; the balance,
    /// the ledger and the rewards stay, under the customer's id. `false` when there is no such customer.
    pub async fn redact_customer(&self, domain: &str, customer_id: u64) -> Result<bool, TallyError> {
        for _ in 0..ATTEMPTS {
            let Some(customer) = self.get_customer(domain, customer_id).await? else { return Ok(false) };
            let erased = Customer {
                email: None,
                phone: None,
                external_id: None,
                version: customer.version + 1,
                ..customer.clone()
            };
            let mut transaction = Transaction::new();
            let put = Put::builder()
                .table_name(&self.table)
                .set_item(Some(to_item(&CustomerRecord::from(&erased), keys::customer(domain, customer_id))?))
                .condition_expression("#version = :version")
                .expression_attribute_names("#version", VERSION.name())
                .expression_attribute_values(":version", number(customer.version))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::None)
                .build()
                .map_err(TallyError::internal)?;
            transaction.put(Part::Profile, put);
            for identity in Identity::ALL {
                let Some(key) = identity.of(&customer).map(|value| identity.key(domain, value)) else { continue };
                if self.owns(&key, customer_id).await? {
                    transaction.delete(identity.part(), self.delete_owned(key, customer_id)?);
                }
            }
            match transaction.commit(&self.client).await {
                Ok(()) => return Ok(true),
                // The profile changed meanwhile (a balance moved): read it again.
                Err(TxError::Cancelled(_)) => continue,
                Err(TxError::Failed(e)) => return Err(e),
            }
        }
        Err(TallyError::Busy)
    }

    /// Every item of a customer: the profile, rewards and ledger, the items that find them by email and by
    /// code, and their entry among the shop's customers (last, so that a deletion cut short is found again).
    pub async fn delete_customer(&self, domain: &str, customer_id: u64) -> Result<(), TallyError> {
        let items = self.query(keys::customer_partition(domain, customer_id), SortKey::Any).await?;
        let mut doomed: Vec<Key> = Vec::new();
        for item in &items {
            match sort_key(item) {
                Some(keys::PROFILE) => {
                    let profile = Customer::from(from_item::<CustomerRecord>(item.clone())?);
                    for key in Identity::ALL.iter().filter_map(|i| i.of(&profile).map(|v| i.key(domain, v))) {
                        if self.owns(&key, customer_id).await? {
                            doomed.push(key);
                        }
                    }
                }
                Some(sk) if sk.starts_with(keys::REWARD_PREFIX) => {
                    let reward: RewardRecord = from_item(item.clone())?;
                    doomed.extend(reward.discount_code.map(|code| keys::code(domain, &code)));
                }
                _ => {}
            }
            doomed.push(key_of(item));
        }
        self.delete_all(doomed).await?;
        self.delete_all(vec![keys::customer_listing(domain, customer_id)]).await
    }

    /// The shop's own items: its rules, its keys (and the items that open it), its secrets and token, and
    /// the shop itself. Its customers are deleted before, one by one.
    pub async fn delete_shop(&self, domain: &str) -> Result<(), TallyError> {
        let (pk, _) = keys::shop(domain);
        let items = self.query(pk, SortKey::Any).await?;
        let mut doomed: Vec<Key> = Vec::new();
        for item in &items {
            if sort_key(item).is_some_and(|sk| sk.starts_with(keys::shop_keys(domain).1)) {
                let key: ShopKeyRecord = from_item(item.clone())?;
                doomed.push(keys::api_key(&key.hash));
            }
            doomed.push(key_of(item));
        }
        let listings = self.query(keys::lot_listings(domain), SortKey::Any).await?;
        doomed.extend(listings.iter().map(key_of));
        doomed.extend([keys::secrets(domain), keys::token(domain), keys::static_token(domain)]);
        self.delete_all(doomed).await
    }

    /// Deletes the items, 25 at a time, retrying what DynamoDB leaves unprocessed.
    async fn delete_all(&self, doomed: Vec<Key>) -> Result<(), TallyError> {
        for chunk in doomed.chunks(BATCH) {
            let mut requests: Vec<WriteRequest> = chunk.iter().map(delete_request).collect::<Result<_, _>>()?;
            for attempt in 0..ATTEMPTS {
                if requests.is_empty() {
                    break;
                }
                let output = self
                    .client
                    .batch_write_item()
                    .request_items(&self.table, requests)
                    .send()
                    .await
                    .map_err(internal)?;
                requests = output.unprocessed_items.and_then(|mut u| u.remove(&self.table)).unwrap_or_default();
                if !requests.is_empty() {
                    tokio::time::sleep(std::time::Duration::from_millis(50 << attempt.min(5))).await;
                }
            }
            if !requests.is_empty() {
                return Err(TallyError::Busy);
            }
        }
        Ok(())
    }

    /// Deletes an item that names a customer, only if it names this one.
    pub(super) fn delete_owned(
        &self,
        (pk, sk): Key,
        customer_id: u64,
    ) -> Result<aws_sdk_dynamodb::types::Delete, TallyError> {
        aws_sdk_dynamodb::types::Delete::builder()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .condition_expression(super::customers::IDENTITY_FREE_OR_MINE)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#customer", super::records::customer::CUSTOMER_ID.name())
            .expression_attribute_values(":customer", number(customer_id))
            .build()
            .map_err(TallyError::internal)
    }
}

fn key_of(item: &Item) -> Key {
    let part = |name: &str| item.get(name).and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
    (part(PK.name()), part(SK.name()))
}

fn delete_request((pk, sk): &Key) -> Result<WriteRequest, TallyError> {
    let delete = DeleteRequest::builder()
        .key(PK.name(), text(pk.clone()))
        .key(SK.name(), text(sk.clone()))
        .build()
        .map_err(TallyError::internal)?;
    Ok(WriteRequest::builder().delete_request(delete).build())
}
