//! How one delivery ends: sent (and marked, for the destinations that need it), tried again at once while
//! the destination is briefly unavailable and time allows, or held in the outbox (a dead letter when the
//! destination refused it).

use std::time::{Duration, Instant};

use futures::StreamExt;
use tally_domain::events::{Destination, Event};
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::wire::CustomerFacts;
use super::Delivered;
use crate::ports::events::{DeadReason, EventStore, Retry};
use crate::ports::outlets::{KlaviyoEvent, OutletError};
use crate::ports::ShopifyError;

/// How many deliveries of one destination are in flight at once.
const IN_FLIGHT: usize = 8;
/// Tries of a delivery before it waits in the outbox.
const TRIES_NOW: u32 = 3;
/// The longest wait between two of them, whatever a destination asks.
const LONGEST_WAIT: Duration = Duration::from_secs(1);
/// No delivery starts when less than this is left of the invocation: what is left waits in the outbox.
const LAST_START: Duration = Duration::from_secs(15);

/// When an invocation must stop starting deliveries.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cutoff(Option<Instant>);

impl Cutoff {
    pub fn before(deadline: Option<Instant>) -> Cutoff {
        Cutoff(deadline.map(|d| d.checked_sub(LAST_START).unwrap_or(d)))
    }

    pub fn passed(self) -> bool {
        self.0.is_some_and(|cutoff| Instant::now() >= cutoff)
    }

    /// The failure of a delivery not started for want of time.
    pub fn out_of_time() -> OutletError {
        OutletError::Unavailable { detail: "the invocation's time ran out".into(), retry_after: None }
    }
}

/// Shopify's failure as an outlet's: a refusal is for good, an unknown outcome may have taken effect.
pub fn from_shopify(error: ShopifyError) -> OutletError {
    match error {
        ShopifyError::Refused(detail) => OutletError::Refused(detail),
        ShopifyError::Unknown(detail) => OutletError::Unknown(detail),
        other => OutletError::Unavailable { detail: other.to_string(), retry_after: None },
    }
}

/// Tries `send` up to `TRIES_NOW` times while the destination is unavailable and `cutoff` allows, waiting
/// as it asks (up to `LONGEST_WAIT`) or a little longer each time. An unknown outcome is not tried again
/// at once: the outbox tries it later, after the marks are read again.
pub async fn with_tries<F, Fut>(cutoff: Cutoff, mut send: F) -> Result<(), OutletError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), OutletError>>,
{
    if cutoff.passed() {
        return Err(Cutoff::out_of_time());
    }
    let mut tries = 1;
    loop {
        match send().await {
            Err(OutletError::Unavailable { retry_after, .. }) if tries < TRIES_NOW && !cutoff.passed() => {
                let wait = retry_after.unwrap_or(Duration::from_millis(100 << tries)).min(LONGEST_WAIT);
                tokio::time::sleep(wait).await;
                tries += 1;
            }
            done => return done,
        }
    }
}

/// What a failed delivery becomes: held for later, or a dead letter; or, if the store cannot keep it, a
/// failure of its record (which the stream gives again).
pub async fn hold<S: EventStore>(store: &S, retry: Retry, error: OutletError, record: usize) -> Delivered {
    let retry = match &error {
        OutletError::Refused(why) => {
            tracing::error!(event = %retry.event_id, to = %retry.destination, %why, "events: refused, a dead letter");
            Retry { dead: Some(DeadReason::Refused), ..retry }
        }
        OutletError::Unavailable { detail, .. } | OutletError::Unknown(detail) => {
            tracing::warn!(event = %retry.event_id, to = %retry.destination, %detail, "events: held to try again");
            retry
        }
    };
    let dead = retry.dead.is_some();
    match store.hold(&retry).await {
        Ok(()) if dead => Delivered { dead: 1, ..Delivered::default() },
        Ok(()) => Delivered { held: 1, ..Delivered::default() },
        Err(e) => {
            tracing::error!(event = %retry.event_id, error = %e, "events: could not hold a delivery");
            Delivered { failed_at: Some(record), ..Delivered::default() }
        }
    }
}

/// Marks the event taken by the destination. A mark that cannot be written is logged, not a failure of
/// the record: giving the record again would send the event again for certain, where now it is sent again
/// only if the stream gives it again.
pub async fn marked<S: EventStore>(
    store: &S,
    domain: &ShopDomain,
    event: &Event,
    to: Destination,
    now: Time,
) -> Delivered {
    if let Err(e) = store.record_event_sent(domain, &event.id, to, now).await {
        tracing::error!(event = %event.id, %to, error = %e, "events: sent, but not marked");
    }
    Delivered { sent: 1, ..Delivered::default() }
}

/// An event as Klaviyo takes it: its metric, the profile by the customer's email and phone, its JSON.
pub fn klaviyo_event(
    unique_id: &str,
    metric: String,
    time: Time,
    facts: &CustomerFacts,
    properties: String,
) -> KlaviyoEvent {
    KlaviyoEvent {
        metric,
        unique_id: unique_id.to_string(),
        time,
        email: facts.email.clone(),
        phone: facts.phone.clone(),
        properties,
    }
}

/// Runs the deliveries, `IN_FLIGHT` at a time, and adds up what they came to.
pub async fn all<F: std::future::Future<Output = Delivered>>(deliveries: impl Iterator<Item = F>) -> Delivered {
    let results: Vec<Delivered> = futures::stream::iter(deliveries).buffer_unordered(IN_FLIGHT).collect().await;
    results.into_iter().fold(Delivered::default(), |mut all, one| {
        all.add(one);
        all
    })
}
