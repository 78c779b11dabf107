//! Tally's domain and its adapters.
//!
//! `domain` says what a redemption is, with no I/O. `store` keeps it in DynamoDB, `shopify` talks to the
//! Admin GraphQL API, `http` is the API Gateway glue, and `redeem` ties a redemption's steps together.

pub mod adjust;
pub mod audit;
pub mod config;
pub mod domain;
pub mod expire;
pub mod http;
pub mod idempotency;
pub mod reconcile;
pub mod redeem;
pub mod refund;
pub mod shopify;
pub mod store;
pub mod webhooks;

pub use store::Enrolled;

pub use config::Deps;
pub use domain::error::TallyError;
