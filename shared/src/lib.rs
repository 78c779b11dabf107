//! Tally's domain, its use cases, and its adapters, one layer per folder:
//!
//! - `domain`: what things are and the rules they obey; pure.
//! - `app`: the use cases, orchestrating the domain with the store and Shopify.
//! - `api`: the API Gateway glue: authentication, request reading, views and the error map.
//! - `store` (DynamoDB) and `shopify` (the Admin API): the adapters, which depend on the domain only.
//! - `config`: start-up, building what the use cases share.
//!
//! Each function in `functions/` is a `main.rs` that starts the runtime and a `lib.rs` handler that reads
//! its command with `api` and runs one use case of `app`. The README's Architecture section has the map.

pub mod api;
pub mod app;
pub mod config;
pub mod domain;
pub mod shopify;
pub mod store;

pub use app::Deps;
pub use domain::error::TallyError;
