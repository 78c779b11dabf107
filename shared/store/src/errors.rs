//! DynamoDB's errors, told apart by their types: a refused condition is an outcome, anything else a
//! failure the caller did not cause, logged in full here and reported as `StoreError`.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use tally_app::ports::StoreError;

use crate::records::Item;

/// An SDK failure: logged in full, reported by its code only.
pub(crate) fn failed<E, R>(err: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    tracing::error!(code = err.code(), error = %DisplayErrorContext(&err), "DynamoDB call failed");
    StoreError(format!("DynamoDB: {}", err.code().unwrap_or("no answer")))
}

/// A request that could not be built (a builder missing a required part): a defect, never the client's.
pub(crate) fn unbuilt(e: impl std::fmt::Display) -> StoreError {
    tracing::error!(error = %e, "a DynamoDB request could not be built");
    StoreError(format!("a request could not be built: {e}"))
}

/// The operations whose condition can refuse them.
pub(crate) trait Conditional {
    /// `Some` when the condition refused the write: the item as it stood, if it was asked for.
    fn refused(&self) -> Option<Option<&Item>>;
}

impl<R> Conditional for SdkError<PutItemError, R> {
    fn refused(&self) -> Option<Option<&Item>> {
        match self.as_service_error()? {
            PutItemError::ConditionalCheckFailedException(e) => Some(e.item()),
            _ => None,
        }
    }
}

impl<R> Conditional for SdkError<UpdateItemError, R> {
    fn refused(&self) -> Option<Option<&Item>> {
        match self.as_service_error()? {
            UpdateItemError::ConditionalCheckFailedException(e) => Some(e.item()),
            _ => None,
        }
    }
}

impl<R> Conditional for SdkError<DeleteItemError, R> {
    fn refused(&self) -> Option<Option<&Item>> {
        match self.as_service_error()? {
            DeleteItemError::ConditionalCheckFailedException(e) => Some(e.item()),
            _ => None,
        }
    }
}

/// How a conditional write ended: done, or refused by its condition (which is no error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    Done,
    Refused,
}

pub(crate) fn written<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<Written, StoreError>
where
    SdkError<E, R>: Conditional,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(Written::Done),
        Err(err) if err.refused().is_some() => Ok(Written::Refused),
        Err(err) => Err(failed(err)),
    }
}
