//! One write of what a use case decided: each part of the `Write` becomes an item under the condition the
//! decision was made on, and the items go in one single-item write when there is one, in one
//! `TransactWriteItems` otherwise. Items are written in the order the fake store checks them (claim,
//! customer, reward, code, identities, rule), so that the first refused condition names the same rejection.

use aws_sdk_dynamodb::primitives::Blob;
use aws_sdk_dynamodb::types::{
    AttributeValue, ConditionCheck, Delete, Put, ReturnValuesOnConditionCheckFailure, TransactWriteItem, Update,
};
use tally_app::ports::store::{Claim, Promise, StoreResult, Taking, Writes};
use tally_app::ports::write::IdentityWrite;
use tally_app::ports::{Committed, CustomerWrite, Rejection, RewardWrite, StoreError, Write};
use tally_domain::customer::Customer;
use tally_domain::effect::Effect;
use tally_domain::reward::Reward;

use crate::errors::{failed, unbuilt};
use crate::records::customer::{CustomerIdRecord, CustomerRecord, CUSTOMER_ID, VERSION};
use crate::records::idempotency::{deflate, EFFECT, LOCK_TOKEN, PROMISE};
use crate::records::ledger::LedgerRecord;
use crate::records::reward::{CodeOwnerRecord, RewardRecord, STATUS};
use crate::records::{from_item, listed, number, text, to_item, Item, EXPIRES_AT, PK, SK};
use crate::transaction::{self, Cancellation, Part, TxError};
use crate::{keys, ShopTable};

pub(crate) const NEW: &str = "attribute_not_exists(#pk)";
pub(crate) const EXISTS: &str = "attribute_exists(#pk)";

const AT_VERSION: &str = "#version = :version";
const FREE_OR_MINE: &str = "attribute_not_exists(#pk) OR #customer = :customer";
const CLAIM_STILL_MINE_WITHOUT_EFFECT: &str = "#lockToken = :token AND attribute_not_exists(#effect)";
const FREE_OR_EXPIRED: &str = "attribute_not_exists(#pk) OR #expiresAt < :nowSeconds";

impl Writes for ShopTable<'_> {
    async fn commit(&self, write: Write) -> StoreResult<Committed> {
        let mut items = self.items(&write)?;
        let outcome = match items.len() {
            0 => return Ok(Committed::Done),
            1 => self.single(items.remove(0)).await,
            _ => transaction::commit(&self.store.client, items).await,
        };
        match outcome {
            Ok(()) => Ok(Committed::Done),
            Err(TxError::Failed(e)) => Err(e),
            Err(TxError::Cancelled(cancellation)) => rejection(&write, &cancellation).map(Committed::Rejected),
        }
    }
}

/// Which condition refused the write, by the part that carried it.
fn rejection(write: &Write, cancellation: &Cancellation) -> StoreResult<Rejection> {
    let Some((part, item)) = cancellation.refused() else {
        return match cancellation.conflicted() {
            true => Ok(Rejection::Contention),
            false => Err(StoreError("a transaction was cancelled without a reason".into())),
        };
    };
    let customer = |item: Option<&Item>| -> StoreResult<Option<Box<Customer>>> {
        item.map(|item| from_item::<CustomerRecord>(item.clone()).and_then(Customer::try_from).map(Box::new))
            .transpose()
    };
    Ok(match part {
        Part::Profile if matches!(write.customer, Some(CustomerWrite::Enrolled(_))) => Rejection::CustomerExists,
        Part::Profile => Rejection::Customer(customer(item)?),
        Part::Ledger(_) => Rejection::Customer(None),
        Part::Reward if matches!(write.reward, Some(RewardWrite::New(_))) => Rejection::RewardIdTaken,
        Part::Reward => {
            let current =
                item.map(|item| from_item::<RewardRecord>(item.clone()).and_then(Reward::try_from).map(Box::new));
            Rejection::Reward(current.transpose()?)
        }
        Part::Code => Rejection::CodeTaken,
        Part::Claim => Rejection::ClaimLost,
        Part::Identity(n) => match &write.identities[n] {
            IdentityWrite::Claim(identity, _) | IdentityWrite::Release(identity, _) => {
                Rejection::Identity(identity.kind())
            }
        },
        Part::Rule => Rejection::Rule,
        Part::RuleDeleted => Rejection::RuleDeleted,
        Part::RuleAlias => Rejection::RuleAlias,
        Part::CustomerListing | Part::LotListing(_) | Part::Unlisted | Part::Key | Part::Other => Rejection::Contention,
    })
}

impl ShopTable<'_> {
    fn table(&self) -> &str {
        &self.store.table
    }

    /// Every item of the write, in the order conditions are reported.
    fn items(&self, write: &Write) -> StoreResult<Vec<(Part, TransactWriteItem)>> {
        let mut items = Vec::new();
        // The key's claim first: a request that lost its key to another is told so, whatever else changed.
        if let Some((claim, effect)) = &write.effect {
            items.push((Part::Claim, self.claim(claim, effect, write.promise.as_ref())?));
        }
        let put = |part: Part, put: Put| (part, TransactWriteItem::builder().put(put).build());
        let domain = self.domain;
        let mut journaled = match &write.reward {
            Some(RewardWrite::New(reward)) if reward.journaled => Some(reward),
            _ => None,
        };
        match &write.customer {
            Some(CustomerWrite::Changed(applied)) => {
                let next = &applied.customer;
                items.push(put(Part::Profile, self.profile(next, Some(applied.read_version))?));
                for (n, entry) in applied.entries.iter().enumerate() {
                    let mut item =
                        to_item(&LedgerRecord::from(entry), keys::ledger(domain, entry.customer_id, entry.seq))?;
                    // The entry that paid for a redemption's reward is the reward's place in the journal.
                    if let Some(reward) = journaled.filter(|r| entry.reward_id == Some(r.id)) {
                        item = listed(item, keys::journal_entry(domain, reward.create_at, reward.id));
                        journaled = None;
                    }
                    items.push(put(Part::Ledger(n), self.put(item, Some(NEW))?));
                }
                for (n, day) in applied.new_days.iter().enumerate() {
                    let listing = to_item(
                        &CustomerIdRecord::of(next.customer_id),
                        keys::lot_listing(domain, *day, next.customer_id),
                    )?;
                    items.push(put(Part::LotListing(n), self.put(listing, None)?));
                }
            }
            Some(CustomerWrite::Enrolled(customer)) => {
                items.push(put(Part::Profile, self.profile(customer, None)?));
                let listing = to_item(
                    &CustomerIdRecord::of(customer.customer_id),
                    keys::customer_listing(domain, customer.customer_id),
                )?;
                items.push(put(Part::CustomerListing, self.put(listing, None)?));
            }
            Some(CustomerWrite::Replaced { customer, read_version }) => {
                items.push(put(Part::Profile, self.profile(customer, Some(*read_version))?))
            }
            Some(CustomerWrite::Unchanged { customer_id, version }) => {
                let (pk, sk) = keys::customer(domain, *customer_id);
                let check = ConditionCheck::builder()
                    .table_name(self.table())
                    .key(PK.name(), text(pk))
                    .key(SK.name(), text(sk))
                    .condition_expression(AT_VERSION)
                    .expression_attribute_names("#version", VERSION.name())
                    .expression_attribute_values(":version", number(*version))
                    .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                    .build()
                    .map_err(unbuilt)?;
                items.push((Part::Profile, TransactWriteItem::builder().condition_check(check).build()));
            }
            None => {}
        }
        if journaled.is_some() {
            return Err(StoreError("a journaled reward with no ledger entry to journal it in".into()));
        }
        if let Some(reward) = &write.reward {
            items.push(put(Part::Reward, self.reward(reward)?));
        }
        if let Some(code) = &write.code {
            let owner = CodeOwnerRecord { customer_id: code.customer_id.get(), reward_id: code.reward_id.get() };
            items.push(put(Part::Code, self.put(to_item(&owner, keys::code(domain, &code.code))?, Some(NEW))?));
        }
        for (n, identity) in write.identities.iter().enumerate() {
            items.push((Part::Identity(n), self.identity(identity)?));
        }
        if let Some(rule) = &write.rule {
            items.extend(self.rule_items(rule)?);
        }
        if let Some((customer, day)) = write.unlist_lots {
            // Where it is kept, and where it may have been kept before listings were spread.
            for key in [keys::lot_listing(domain, day, customer), keys::unsharded_lot_listing(domain, day, customer)] {
                items.push((Part::Unlisted, TransactWriteItem::builder().delete(self.delete(key, None)?).build()));
            }
        }
        Ok(items)
    }

    /// A put of the customer's profile: new (when `read_version` is `None`), or conditioned on the version read.
    fn profile(&self, customer: &Customer, read_version: Option<u64>) -> StoreResult<Put> {
        let item = to_item(&CustomerRecord::from(customer), keys::customer(self.domain, customer.customer_id))?;
        let Some(version) = read_version else { return self.put(item, Some(NEW)) };
        Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(AT_VERSION)
            .expression_attribute_names("#version", VERSION.name())
            .expression_attribute_values(":version", number(version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .build()
            .map_err(unbuilt)
    }

    /// A put of a reward's item, listed as it stands: new, or conditioned on its version and status.
    fn reward(&self, write: &RewardWrite) -> StoreResult<Put> {
        let reward = match write {
            RewardWrite::New(reward) => reward,
            RewardWrite::Changed(change) => &change.reward,
        };
        let mut item = to_item(&RewardRecord::from(reward), keys::reward(self.domain, reward))?;
        if let Some(listing) = reward.listing() {
            item = listed(item, keys::listing(self.domain, listing, reward.id));
        }
        let RewardWrite::Changed(change) = write else { return self.put(item, Some(NEW)) };
        let from: Vec<String> = (0..change.from.len()).map(|i| format!(":from{i}")).collect();
        // A reward written before versions has none: it is at version 0.
        let at_version = match change.read_version {
            0 => "(attribute_not_exists(#version) OR #version = :version)",
            _ => AT_VERSION,
        };
        let mut put = Put::builder()
            .table_name(self.table())
            .set_item(Some(item))
            .condition_expression(format!("{at_version} AND #status IN ({})", from.join(", ")))
            .expression_attribute_names("#version", crate::records::reward::VERSION.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_values(":version", number(change.read_version))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        for (name, status) in from.iter().zip(change.from) {
            put = put.expression_attribute_values(name, text(status.as_str()));
        }
        put.build().map_err(unbuilt)
    }

    /// The idempotency key's record with the request's effect (and its promise): created, if the key is still
    /// free (or expired), or marked, if the claim that took it over still holds it and it has no effect yet.
    fn claim(&self, claim: &Claim, effect: &Effect, promise: Option<&Promise>) -> StoreResult<TransactWriteItem> {
        let key = keys::idempotency(self.domain, &claim.key);
        let Taking::Fresh(new) = &claim.taking else {
            let promise = promise.map(|p| serde_bytes::ByteBuf::from(deflate(&p.body)));
            let (pk, sk) = key;
            let update = Update::builder()
                .table_name(self.table())
                .key(PK.name(), text(pk))
                .key(SK.name(), text(sk))
                .condition_expression(CLAIM_STILL_MINE_WITHOUT_EFFECT)
                .expression_attribute_names("#lockToken", LOCK_TOKEN.name())
                .expression_attribute_names("#effect", EFFECT.name())
                .expression_attribute_values(":token", text(&claim.token))
                .expression_attribute_values(":effect", text(effect.to_string()));
            let update = match promise {
                Some(promise) => update
                    .update_expression("SET #effect = :effect, #promise = :promise")
                    .expression_attribute_names("#promise", PROMISE.name())
                    .expression_attribute_values(":promise", AttributeValue::B(Blob::new(promise.into_vec()))),
                None => update.update_expression("SET #effect = :effect"),
            };
            let update = update.build().map_err(unbuilt)?;
            return Ok(TransactWriteItem::builder().update(update).build());
        };
        let record = crate::idempotency::new_record(claim, new, effect, promise);
        let put = Put::builder()
            .table_name(self.table())
            .set_item(Some(to_item(&record, key)?))
            .condition_expression(FREE_OR_EXPIRED)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#expiresAt", EXPIRES_AT.name())
            .expression_attribute_values(":nowSeconds", number(new.now_s))
            .build()
            .map_err(unbuilt)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    fn identity(&self, write: &IdentityWrite) -> StoreResult<TransactWriteItem> {
        let free_or_mine =
            |id: tally_domain::ids::CustomerId| ("#customer", CUSTOMER_ID.name(), ":customer", number(id.get()));
        Ok(match write {
            IdentityWrite::Claim(identity, id) => {
                let item = to_item(&CustomerIdRecord::of(*id), keys::identity(self.domain, identity))?;
                let (name, attribute, value_name, value) = free_or_mine(*id);
                let put = Put::builder()
                    .table_name(self.table())
                    .set_item(Some(item))
                    .condition_expression(FREE_OR_MINE)
                    .expression_attribute_names("#pk", PK.name())
                    .expression_attribute_names(name, attribute)
                    .expression_attribute_values(value_name, value)
                    .build()
                    .map_err(unbuilt)?;
                TransactWriteItem::builder().put(put).build()
            }
            IdentityWrite::Release(identity, id) => {
                let (name, attribute, value_name, value) = free_or_mine(*id);
                let (pk, sk) = keys::identity(self.domain, identity);
                let delete = Delete::builder()
                    .table_name(self.table())
                    .key(PK.name(), text(pk))
                    .key(SK.name(), text(sk))
                    .condition_expression(FREE_OR_MINE)
                    .expression_attribute_names("#pk", PK.name())
                    .expression_attribute_names(name, attribute)
                    .expression_attribute_values(value_name, value)
                    .build()
                    .map_err(unbuilt)?;
                TransactWriteItem::builder().delete(delete).build()
            }
        })
    }

    /// A put of `item`, under a condition on its key's existence.
    pub(crate) fn put(&self, item: Item, condition: Option<&str>) -> StoreResult<Put> {
        let put = Put::builder().table_name(self.table()).set_item(Some(item));
        let put = match condition {
            Some(condition) => put.condition_expression(condition).expression_attribute_names("#pk", PK.name()),
            None => put,
        };
        put.build().map_err(unbuilt)
    }

    pub(crate) fn delete(&self, (pk, sk): keys::Key, condition: Option<&str>) -> StoreResult<Delete> {
        let delete = Delete::builder().table_name(self.table()).key(PK.name(), text(pk)).key(SK.name(), text(sk));
        let delete = match condition {
            Some(condition) => delete.condition_expression(condition).expression_attribute_names("#pk", PK.name()),
            None => delete,
        };
        delete.build().map_err(unbuilt)
    }

    /// One item alone: a single write, which costs half what a transaction of one would.
    async fn single(&self, (part, item): (Part, TransactWriteItem)) -> Result<(), TxError> {
        let client = &self.store.client;
        let refused = |found: Option<Item>| {
            let reason = aws_sdk_dynamodb::types::CancellationReason::builder()
                .code("ConditionalCheckFailed")
                .set_item(found)
                .build();
            TxError::Cancelled(Cancellation::new(&[part], &[reason]))
        };
        if let Some(put) = item.put {
            let result = client
                .put_item()
                .table_name(put.table_name)
                .set_item(Some(put.item))
                .set_condition_expression(put.condition_expression)
                .set_expression_attribute_names(put.expression_attribute_names)
                .set_expression_attribute_values(put.expression_attribute_values)
                .set_return_values_on_condition_check_failure(put.return_values_on_condition_check_failure)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(err) => match err.as_service_error() {
                    Some(aws_sdk_dynamodb::operation::put_item::PutItemError::ConditionalCheckFailedException(e)) => {
                        Err(refused(e.item().cloned()))
                    }
                    _ => Err(TxError::Failed(failed(err))),
                },
            };
        }
        if let Some(update) = item.update {
            let result = client
                .update_item()
                .table_name(update.table_name)
                .set_key(Some(update.key))
                .update_expression(update.update_expression)
                .set_condition_expression(update.condition_expression)
                .set_expression_attribute_names(update.expression_attribute_names)
                .set_expression_attribute_values(update.expression_attribute_values)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(err) if crate::errors::Conditional::refused(&err).is_some() => Err(refused(None)),
                Err(err) => Err(TxError::Failed(failed(err))),
            };
        }
        if let Some(delete) = item.delete {
            let result = client
                .delete_item()
                .table_name(delete.table_name)
                .set_key(Some(delete.key))
                .set_condition_expression(delete.condition_expression)
                .set_expression_attribute_names(delete.expression_attribute_names)
                .set_expression_attribute_values(delete.expression_attribute_values)
                .send()
                .await;
            return match result {
                Ok(_) => Ok(()),
                Err(err) if crate::errors::Conditional::refused(&err).is_some() => Err(refused(None)),
                Err(err) => Err(TxError::Failed(failed(err))),
            };
        }
        // A condition check alone writes nothing: it holds, or it does not.
        transaction::commit(client, vec![(part, item)]).await
    }
}
