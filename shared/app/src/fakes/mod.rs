//! In-memory stand-ins for the store and Shopify, for fast tests of the use cases and for the simulation.
//! They keep the promises of the ports exactly as the real adapters do: every condition a DynamoDB write
//! is made under is checked here too, and Shopify answers as the project's emulator does, fault by fault.
//! The simulation runs the same schedules over both and requires the same outcomes.

mod commit;
mod events;
mod keep;
mod listings;
mod shopify;
mod store;

pub use events::{FakeBus, FakeKlaviyo};
pub use shopify::{FakeShopify, ShopifyFault};
pub use store::FakeStore;
