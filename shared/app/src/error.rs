//! What keeps a use case from finishing that the caller did not cause. Each use case's error is made of
//! this and of the domain's refusals; the API's error map gives each its status and code, in one place.

use tally_domain::error::{Missing, Refused};

use crate::ports::{ShopifyError, StoreError};

/// Why Shopify could not be asked, in a word: Shopify's own words are in the logs, never in an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopifyDown {
    /// Unreachable, throttled or failing for as long as the request could wait.
    Unreachable,
    /// Shopify answered and refused.
    Refused,
    /// The answer was lost.
    AnswerLost,
}

impl From<&ShopifyError> for ShopifyDown {
    fn from(e: &ShopifyError) -> Self {
        match e {
            ShopifyError::Refused(_) | ShopifyError::Taken => ShopifyDown::Refused,
            ShopifyError::Unavailable(_) => ShopifyDown::Unreachable,
            ShopifyError::Unknown(_) => ShopifyDown::AnswerLost,
        }
    }
}

/// Nothing was settled, and a retry can run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unavailable {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the customer's balance is changing too fast; try again")]
    Busy,
    #[error("Shopify could not be asked ({0:?}); try again")]
    Shopify(ShopifyDown),
    /// Another attempt of the request holds its idempotency key.
    #[error("a request with this Idempotency-Key is still running; retry shortly")]
    InProgress,
}

impl Unavailable {
    /// Shopify could not be asked what a use case needed to know; what it said is logged.
    pub fn shopify(e: ShopifyError) -> Unavailable {
        tracing::warn!(error = %e, "Shopify could not be asked");
        Unavailable::Shopify(ShopifyDown::from(&e))
    }
}

/// Implements the conversions every use case error has: from the store's failure and from `Unavailable`.
macro_rules! unavailable_into {
    ($($error:ident),+) => {$(
        impl From<crate::ports::StoreError> for $error {
            fn from(e: crate::ports::StoreError) -> Self {
                $error::Unavailable(e.into())
            }
        }
    )+};
}

pub(crate) use unavailable_into;

/// A read of a customer's information: nothing refused, only missing or unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error(transparent)]
    Missing(#[from] Missing),
    /// A page cursor of another customer's list.
    #[error("the cursor is not one Tally gave for this list")]
    ForeignCursor,
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

/// A change of a customer's points by request (an adjustment), refused, missing or unavailable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Refused(#[from] Refused),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

unavailable_into!(ReadError, ChangeError);
