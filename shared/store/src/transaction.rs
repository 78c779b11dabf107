//! Transactions whose items have names. A cancelled transaction is explained by name: DynamoDB gives one
//! cancellation reason per item, in the order written, and only this module reads that order.

use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{CancellationReason, TransactWriteItem};
use aws_sdk_dynamodb::Client;
use tally_app::ports::StoreError;

use crate::errors::failed;
use crate::records::Item;

/// What an item of a write is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    /// The customer's profile, with the balance.
    Profile,
    /// The `n`th ledger entry of a balance change.
    Ledger(usize),
    /// The customer's entry among the shop's customers.
    CustomerListing,
    /// The listing of a customer's lot of one day, for the expiry job (the `n`th of the write).
    LotListing(usize),
    Reward,
    /// The item that makes a discount code unique in the shop.
    Code,
    /// The idempotency key's record of the request's effect.
    Claim,
    /// The item that makes the `n`th identifier of the write the customer's.
    Identity(usize),
    Rule,
    /// The check that an imported rule's id was never a deleted rule's.
    RuleDeleted,
    /// The item that makes an imported rule's alias its own.
    RuleAlias,
    /// A day's lot listing, let go.
    Unlisted,
    /// An API key's item, which must open this shop or none.
    Key,
    /// An item written under no condition (a secret, a listing).
    Other,
}

/// Why a transaction did not happen.
#[derive(Debug)]
pub(crate) enum TxError {
    /// DynamoDB cancelled it: conditions refused, or another transaction held an item. Nothing was written.
    Cancelled(Cancellation),
    /// The call failed otherwise.
    Failed(StoreError),
}

/// The reasons of a cancelled transaction, by part.
#[derive(Debug)]
pub(crate) struct Cancellation {
    reasons: Vec<(Part, Reason)>,
}

#[derive(Debug)]
struct Reason {
    code: Option<String>,
    /// The item as it stood, where the part asked for it (`ReturnValuesOnConditionCheckFailure`).
    item: Option<Item>,
}

/// The reason codes the SDK gives as text alone (cancellation reasons carry no typed code).
const CONDITION_FAILED: &str = "ConditionalCheckFailed";
const CONFLICT: &str = "TransactionConflict";

/// Writes `items` all or nothing.
pub(crate) async fn commit(client: &Client, items: Vec<(Part, TransactWriteItem)>) -> Result<(), TxError> {
    let (parts, items): (Vec<Part>, Vec<TransactWriteItem>) = items.into_iter().unzip();
    match client.transact_write_items().set_transact_items(Some(items)).send().await {
        Ok(_) => Ok(()),
        Err(err) => match cancellation_reasons(&err) {
            Some(reasons) => Err(TxError::Cancelled(Cancellation::new(&parts, reasons))),
            None => Err(TxError::Failed(failed(err))),
        },
    }
}

/// Whether a transaction was cancelled by one of its conditions (not by a conflict or a failure).
pub(crate) fn cancelled_by_condition<R>(err: &SdkError<TransactWriteItemsError, R>) -> bool {
    cancellation_reasons(err).is_some_and(|reasons| reasons.iter().any(|r| r.code() == Some("ConditionalCheckFailed")))
}

fn cancellation_reasons<R>(err: &SdkError<TransactWriteItemsError, R>) -> Option<&[CancellationReason]> {
    match err.as_service_error()? {
        TransactWriteItemsError::TransactionCanceledException(e) => Some(e.cancellation_reasons()),
        _ => None,
    }
}

impl Cancellation {
    pub(crate) fn new(parts: &[Part], reasons: &[CancellationReason]) -> Cancellation {
        let reasons = parts
            .iter()
            .zip(reasons)
            .map(|(part, reason)| {
                (*part, Reason { code: reason.code().map(str::to_string), item: reason.item().cloned() })
            })
            .collect();
        Cancellation { reasons }
    }

    /// The first part (in the order written) whose condition refused the transaction, with the item as it
    /// stood when the part asked for it.
    pub(crate) fn refused(&self) -> Option<(Part, Option<&Item>)> {
        self.reasons
            .iter()
            .find(|(_, r)| r.code.as_deref() == Some(CONDITION_FAILED))
            .map(|(p, r)| (*p, r.item.as_ref()))
    }

    /// Whether another transaction held an item.
    pub(crate) fn conflicted(&self) -> bool {
        self.reasons.iter().any(|(_, r)| r.code.as_deref() == Some(CONFLICT))
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
    fn a_cancellation_is_read_by_the_names_of_its_parts_first_failure_first() {
        let old = Item::from([("version".to_string(), AttributeValue::N("3".into()))]);
        let parts = [Part::Profile, Part::Ledger(0), Part::Reward, Part::Code];
        let reasons = [
            reason("None", None),
            reason("None", None),
            reason(CONDITION_FAILED, Some(old.clone())),
            reason(CONDITION_FAILED, None),
        ];
        let cancellation = Cancellation::new(&parts, &reasons);
        assert_eq!(cancellation.refused(), Some((Part::Reward, Some(&old))));
        assert!(!cancellation.conflicted());
        let busy = Cancellation::new(&parts[..1], &[reason(CONFLICT, None)]);
        assert!(busy.refused().is_none() && busy.conflicted());
    }
}
