//! Transactions whose items have names. A cancelled transaction is explained by name: DynamoDB gives
//! one cancellation reason per item, in the order written, and only this module reads that order.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, ConditionCheck, Delete, Put, TransactWriteItem, Update};
use aws_sdk_dynamodb::Client;

use super::errors::internal;
use super::records::{Item, PK};
use crate::domain::error::TallyError;

/// What an item of a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The customer's profile, with the balance.
    Profile,
    /// The ledger entry of a balance change.
    Ledger,
    Reward,
    /// The item that makes a discount code unique in the shop.
    Code,
    /// The idempotency key's record of the request's effect.
    Claim,
    /// The item that makes an email unique in the shop.
    Email,
    /// An email the customer no longer has, released.
    OldEmail,
    /// The item that makes a phone number unique in the shop, and one the customer no longer has.
    Phone,
    OldPhone,
    /// The item that makes an external id unique in the shop, and one the customer no longer has.
    ExternalId,
    OldExternalId,
    /// The customer's entry among the shop's customers.
    Listing,
    Rule,
    /// An API key's item.
    Key,
    Shop,
    /// The shop's client secret.
    Secrets,
    /// A legacy shop's static token.
    StaticToken,
    /// The listing of a customer's lot of one day, for the expiry job (the `n`th of the transaction).
    LotListing(usize),
}

/// A transaction being built: named items, written all or nothing.
#[derive(Debug, Default, Clone)]
pub(crate) struct Transaction {
    items: Vec<(Part, TransactWriteItem)>,
}

/// Why a transaction did not happen.
#[derive(Debug)]
pub(crate) enum TxError {
    /// DynamoDB cancelled it: conditions refused, or another transaction held an item. Nothing was written.
    Cancelled(Cancellation),
    /// The call failed otherwise.
    Failed(TallyError),
}

/// The reasons of a cancelled transaction, by part.
#[derive(Debug)]
pub(crate) struct Cancellation {
    reasons: Vec<(Part, Reason)>,
}

#[derive(Debug)]
struct Reason {
    condition_failed: bool,
    /// The item as it stood, where the part asked for it (`ReturnValuesOnConditionCheckFailure`).
    item: Option<Item>,
}

/// The only reason code the SDK gives as text alone (cancellation reasons carry no typed code).
const CONDITION_FAILED: &str = "ConditionalCheckFailed";

impl Transaction {
    pub fn new() -> Transaction {
        Transaction::default()
    }

    pub fn put(&mut self, part: Part, put: Put) -> &mut Self {
        self.add(part, TransactWriteItem::builder().put(put).build())
    }

    pub fn update(&mut self, part: Part, update: Update) -> &mut Self {
        self.add(part, TransactWriteItem::builder().update(update).build())
    }

    pub fn delete(&mut self, part: Part, delete: Delete) -> &mut Self {
        self.add(part, TransactWriteItem::builder().delete(delete).build())
    }

    pub fn check(&mut self, part: Part, check: ConditionCheck) -> &mut Self {
        self.add(part, TransactWriteItem::builder().condition_check(check).build())
    }

    /// Writes `item` only where nothing is yet.
    pub fn put_new(&mut self, table: &str, part: Part, item: Item) -> Result<&mut Self, TallyError> {
        let put = Put::builder()
            .table_name(table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK.name())
            .build()
            .map_err(TallyError::internal)?;
        Ok(self.put(part, put))
    }

    /// The items of `other` after these.
    pub fn append(&mut self, other: Transaction) -> &mut Self {
        for (part, item) in other.items {
            self.add(part, item);
        }
        self
    }

    fn add(&mut self, part: Part, item: TransactWriteItem) -> &mut Self {
        debug_assert!(self.items.iter().all(|(p, _)| *p != part), "{part:?} twice in one transaction");
        self.items.push((part, item));
        self
    }

    pub async fn commit(self, client: &Client) -> Result<(), TxError> {
        let (parts, items): (Vec<Part>, Vec<TransactWriteItem>) = self.items.into_iter().unzip();
        match client.transact_write_items().set_transact_items(Some(items)).send().await {
            Ok(_) => Ok(()),
            Err(err) => match cancellation_reasons(&err) {
                Some(reasons) => Err(TxError::Cancelled(Cancellation::new(&parts, reasons))),
                None => Err(TxError::Failed(internal(err))),
            },
        }
    }
}

fn cancellation_reasons<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<&[CancellationReason]> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(e) => Some(e.cancellation_reasons()),
        _ => None,
    }
}

impl Cancellation {
    fn new(parts: &[Part], reasons: &[CancellationReason]) -> Cancellation {
        let reasons = parts
            .iter()
            .zip(reasons)
            .map(|(part, reason)| {
                let condition_failed = reason.code() == Some(CONDITION_FAILED);
                (*part, Reason { condition_failed, item: reason.item().cloned() })
            })
            .collect();
        Cancellation { reasons }
    }

    /// Whether `part`'s condition refused the transaction.
    pub fn refused(&self, part: Part) -> bool {
        self.reasons.iter().any(|(p, r)| *p == part && r.condition_failed)
    }

    /// The first part whose condition refused the transaction, other than those named.
    pub fn refused_besides(&self, parts: &[Part]) -> Option<Part> {
        self.reasons.iter().find(|(p, r)| r.condition_failed && !parts.contains(p)).map(|(p, _)| *p)
    }

    /// The item of `part` as it stood, when its condition refused it and it asked for it.
    pub fn item(&self, part: Part) -> Option<&Item> {
        self.reasons.iter().find(|(p, _)| *p == part).and_then(|(_, r)| r.item.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_dynamodb::types::AttributeValue;

    fn reason(code: &str, item: Option<Item>) -> CancellationReason {
        CancellationReason::builder().code(code).set_item(item).build()
    }

    #[test]
    fn a_cancellation_is_read_by_the_names_of_its_parts() {
        let old = Item::from([("version".to_string(), AttributeValue::N("3".into()))]);
        let cancellation = Cancellation::new(
            &[Part::Profile, Part::Ledger, Part::Reward, Part::Code],
            &[
                reason("ConditionalCheckFailed", Some(old.clone())),
                reason("None", None),
                reason("None", None),
                reason("ConditionalCheckFailed", None),
            ],
        );
        assert!(cancellation.refused(Part::Profile) && cancellation.refused(Part::Code));
        assert!(!cancellation.refused(Part::Reward) && !cancellation.refused(Part::Claim));
        assert_eq!(cancellation.refused_besides(&[Part::Profile, Part::Ledger]), Some(Part::Code));
        assert_eq!(cancellation.item(Part::Profile), Some(&old));
        assert_eq!(cancellation.item(Part::Code), None);
    }
}
