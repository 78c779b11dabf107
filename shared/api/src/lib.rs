//! The API Gateway glue: who is calling (`auth`; `portal` for shoppers, through the App Proxy or a UI
//! extension's session token, with `cors` for the latter), what the
//! request says (`request`, `bodies`), the shape every endpoint follows (`endpoint`), what clients read
//! (`views`), and the one map from outcomes to HTTP (`errors`). A handler in `functions/<name>/src/lib.rs`
//! reads its command here and hands it to one use case of `tally-app`; nothing below this crate sees a
//! request.

pub mod app_proxy;
pub mod auth;
pub mod bodies;
pub mod cors;
pub mod cursor;
mod dialect;
pub mod discounts;
pub mod endpoint;
pub mod errors;
pub mod import;
mod invalid;
pub mod jobs;
pub mod mage;
pub mod money;
pub mod portal;
pub mod redemption;
pub mod request;
mod rule_body;
pub mod session_token;
mod shopper;
pub mod stream;
pub mod views;
pub mod webhooks;
pub mod yotpo;

pub use endpoint::{read, respond, write, write_prepared, Finishing, Reply};
pub use errors::Problem;
