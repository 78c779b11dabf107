//! The use cases: each module orchestrates one thing Tally does, from a typed command to a domain result,
//! with the store and Shopify. Nothing here sees an HTTP request or builds an HTTP response.

pub mod access;
pub mod adjust;
pub mod audit;
pub mod enroll;
pub mod expire;
pub mod idempotency;
pub mod jobs;
pub mod loyalty;
pub mod orders;
pub mod privacy;
pub mod reconcile;
pub mod redeem;
pub mod refund;
pub mod review;
pub mod rules;
pub mod settle;
pub mod shops;
pub mod webhooks;

mod codes;
mod issue;

use crate::domain::Time;
use crate::shopify::ShopifyHttp;
use crate::store::Store;

/// What a use case needs: built once per process, borrowed by every request.
#[derive(Clone, Debug)]
pub struct Deps {
    pub store: Store,
    pub shopify: ShopifyHttp,
    /// The Admin API tokens this process knows.
    pub tokens: access::TokenCache,
}

/// The time now, to the second: the precision Tally stores and returns.
pub fn now() -> Time {
    let now = Time::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// Aborts the process at a named point when `TALLY_CRASH_AT` names it, to prove that a Lambda dying
/// there loses nothing. Honoured only against DynamoDB Local (`DYNAMODB_ENDPOINT` set), never in AWS.
pub(crate) fn crash_point(name: &str) {
    if std::env::var("TALLY_CRASH_AT").is_ok_and(|at| at == name) && std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        tracing::error!(crash_point = name, "aborting, as TALLY_CRASH_AT asks");
        std::process::abort();
    }
}

/// Shopify could not be asked what a use case needed to know.
pub(crate) fn shopify_down(e: crate::shopify::ShopifyError) -> crate::domain::error::TallyError {
    crate::domain::error::TallyError::ShopifyUnavailable(crate::domain::error::Unavailable::Asked(e.into()))
}
