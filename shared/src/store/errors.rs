//! DynamoDB's errors, told apart by their types: a refused condition is an outcome, anything else a
//! failure the caller did not cause, logged in full and reported as a stable 503.

use aws_sdk_dynamodb::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::delete_item::DeleteItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;

use super::records::Item;
use crate::domain::error::TallyError;

/// An SDK failure the client did not cause: logged in full, reported as a stable 503.
pub(crate) fn internal<E, R>(err: SdkError<E, R>) -> TallyError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    tracing::error!(code = err.code(), error = %DisplayErrorContext(&err), "DynamoDB call failed");
    TallyError::internal(err)
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

/// A conditional write's outcome: done, or refused by its condition (which is no error).
pub(crate) fn written<T, E, R>(result: Result<T, SdkError<E, R>>) -> Result<bool, TallyError>
where
    SdkError<E, R>: Conditional,
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug + Send + Sync + 'static,
{
    match result {
        Ok(_) => Ok(true),
        Err(err) if err.refused().is_some() => Ok(false),
        Err(err) => Err(internal(err)),
    }
}
