//! Where events go besides Shopify: the EventBridge bus and Klaviyo. Flow and the customer's metafield go
//! through Shopify's port (`ShopifyShop`). The adapters are in `tally-outlets`; fakes in `fakes::outlets`.

use std::future::Future;
use std::time::Duration;

use tally_domain::Time;

/// How a delivery to a destination ended, when it did not succeed. The text is for the logs only.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutletError {
    /// The destination answered and will never take this as it is (a bad key, a body it refuses).
    #[error("refused: {0}")]
    Refused(String),
    /// The destination is down, throttling or unreachable: try again, no sooner than `retry_after` if
    /// it said when.
    #[error("unavailable: {detail}")]
    Unavailable { detail: String, retry_after: Option<Duration> },
    /// Sent, and no answer came back: it may have taken effect. Tried again later, not at once.
    #[error("outcome unknown: {0}")]
    Unknown(String),
}

pub type OutletResult<T> = Result<T, OutletError>;

/// One entry of EventBridge's `PutEvents`: `Source` is always `tally`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusEntry {
    /// The event's name (`reward.issued`).
    pub detail_type: String,
    /// The event's JSON (`docs/event-catalogue.json`).
    pub detail: String,
}

/// The EventBridge bus the events go to.
pub trait EventBus: Send + Sync {
    /// At most ten entries; the answer has one result per entry, in their order.
    fn put(&self, entries: &[BusEntry]) -> impl Future<Output = OutletResult<Vec<OutletResult<()>>>> + Send;
}

/// One event for Klaviyo's Create Event API.
#[derive(Debug, Clone, PartialEq)]
pub struct KlaviyoEvent {
    /// The metric's name: `Tally Reward Issued`.
    pub metric: String,
    /// Klaviyo keeps one event per `unique_id`: the event's id.
    pub unique_id: String,
    pub time: Time,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// The event's JSON, as the bus has it.
    pub properties: String,
}

pub trait Klaviyo: Send + Sync {
    /// Sends one event with the shop's private API key.
    fn create_event(&self, key: &str, event: &KlaviyoEvent) -> impl Future<Output = OutletResult<()>> + Send;
}

/// The destinations besides Shopify, as one value for the events use case.
pub struct Outlets<B, K> {
    pub bus: B,
    pub klaviyo: K,
}
