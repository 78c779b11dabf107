//! What the events use case keeps in the store: which events each destination took (EventBridge and
//! Flow, which do not tell repeats apart), deliveries to try again later (the outbox, so that a destination
//! that is down never holds up the stream), the shop's Klaviyo key, and the expire job's notices.

use tally_domain::events::{Destination, Expiring};
use tally_domain::ids::CustomerId;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::store::{Created, Fut, Position};

/// A delivery to try again: the destination, the event and what is sent (the body that was to go, as
/// JSON: `events::Outgoing`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    pub shop: ShopDomain,
    pub destination: Destination,
    pub event_id: String,
    pub body: String,
    /// Tries so far.
    pub attempts: u32,
    /// Not before then.
    pub due: Time,
    /// Why it will not be tried again, once it will not (a dead letter, kept for an operator).
    pub dead: Option<DeadReason>,
}

tally_domain::vocabulary! {
    /// Why a delivery was given up.
    pub enum DeadReason {
        /// The destination refused it as it is (a bad key, a body it does not take).
        Refused = "REFUSED",
        /// It failed every try for as long as tries go on.
        Exhausted = "EXHAUSTED",
    }
}

/// How far a day's pass over the shop's expiring points went: done, or where the next run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeMark {
    pub day: time::Date,
    pub after: Option<Position>,
    pub done: bool,
}

pub trait EventStore: Send + Sync {
    /// Whether the destination took the event already.
    fn event_sent(&self, shop: &ShopDomain, event: &str, to: Destination) -> impl Fut<bool>;
    fn record_event_sent(&self, shop: &ShopDomain, event: &str, to: Destination, at: Time) -> impl Fut<()>;
    /// The shop's Klaviyo private API key, kept with its secrets.
    fn klaviyo_key(&self, shop: &ShopDomain) -> impl Fut<Option<String>>;
    fn set_klaviyo_key(&self, shop: &ShopDomain, key: Option<&str>) -> impl Fut<()>;
    /// Keeps a delivery to try again (or a dead letter).
    fn hold(&self, retry: &Retry) -> impl Fut<()>;
    /// The deliveries due by `now`, soonest first, at most `limit`.
    fn due(&self, now: Time, limit: usize) -> impl Fut<Vec<Retry>>;
    /// The dead letters, at most `limit`.
    fn dead_letters(&self, limit: usize) -> impl Fut<Vec<Retry>>;
    /// `done` was tried: it goes, and `next` (the same, later or dead) takes its place, in one write.
    fn retried(&self, done: &Retry, next: Option<&Retry>) -> impl Fut<()>;
    /// Notes that the customer's `expiring` points expire soon, once per customer and day of expiry: the
    /// note's item is what the stream turns into `points.expiring_soon`.
    fn notice_expiring(
        &self,
        shop: &ShopDomain,
        customer: CustomerId,
        expiring: Expiring,
        at: Time,
    ) -> impl Fut<Created>;
    /// How far the shop's notices have gone today (or on the last day they ran).
    fn notice_mark(&self, shop: &ShopDomain) -> impl Fut<Option<NoticeMark>>;
    fn set_notice_mark(&self, shop: &ShopDomain, mark: &NoticeMark) -> impl Fut<()>;
}
