//! The ports: what the use cases need of the world, as traits. Each has a real implementation in an
//! adapter crate and an in-memory one in `fakes`.

pub mod clock;
pub mod events;
pub mod outlets;
pub mod shopify;
pub mod store;
pub mod write;

pub use clock::{Clock, OsRandom, Random, SeededRandom, SimClock, SystemClock};
pub use shopify::{Shopify, ShopifyError, ShopifyShop, TokenSource};
pub use store::{Claim, ShopStore, Store, StoreError};
pub use write::{Committed, CustomerWrite, Rejection, RewardWrite, Write};
