//! The outlets: the adapters of `tally_app::ports::outlets`. They send what the events use case decided
//! and decide nothing; each tells a destination's failures apart by type (`OutletError`): refused for good,
//! or unavailable for now.

mod eventbridge;
mod klaviyo;

pub use eventbridge::EventBridge;
pub use klaviyo::{KlaviyoHttp, KLAVIYO_REVISION, KLAVIYO_URL};

/// The outlets the events function sends through.
pub type Outlets = tally_app::ports::outlets::Outlets<EventBridge, KlaviyoHttp>;
