//! The outbox: deliveries that failed wait there and are tried again, later each time (`backoff`), by the
//! events function's scheduled run; one that fails for a day, or that its destination refuses, becomes a
//! dead letter, kept for an operator (`tally-cli events dead-letters`) and counted for the alarm.

use serde::Serialize;
use tally_domain::events::Destination;
use tally_domain::ids::CustomerId;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::deliver::{from_shopify, with_tries};
use super::{standing, Outgoing};
use crate::access;
use crate::ports::events::{DeadReason, EventStore, Retry};
use crate::ports::outlets::{BusEntry, EventBus, Klaviyo, KlaviyoEvent, OutletError, Outlets};
use crate::ports::store::{Customers, ShopRecords, StoreError};
use crate::ports::{Shopify, ShopifyShop, Store};
use crate::Deps;

/// Tries before a delivery is given up: with `backoff`, about a day.
pub const MAX_ATTEMPTS: u32 = 30;

/// How long a delivery waits after `attempts` tries: 30 seconds, doubling, at most an hour.
pub fn backoff(attempts: u32) -> time::Duration {
    let seconds = 30i64.saturating_mul(1 << attempts.saturating_sub(1).min(7));
    time::Duration::seconds(seconds.min(3600))
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryReport {
    pub sent: usize,
    pub held: usize,
    pub dead: usize,
}

/// Tries again the deliveries due by `now`, at most `limit` of them.
pub async fn retry_due<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    now: Time,
    limit: usize,
) -> Result<RetryReport, StoreError>
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let mut report = RetryReport::default();
    for retry in deps.store.due(now, limit).await? {
        let outcome = match serde_json::from_str::<Outgoing>(&retry.body) {
            Ok(outgoing) => send(deps, outlets, &retry, &outgoing).await?,
            Err(e) => Err(OutletError::Refused(format!("an outbox body that cannot be read: {e}"))),
        };
        let next = match outcome {
            Ok(()) => None,
            Err(OutletError::Refused(why)) => {
                tracing::error!(event = %retry.event_id, to = %retry.destination, %why, "events: a dead letter");
                Some(Retry { dead: Some(DeadReason::Refused), ..retry.clone() })
            }
            Err(OutletError::Unavailable { detail, .. }) if retry.attempts + 1 >= MAX_ATTEMPTS => {
                tracing::error!(event = %retry.event_id, to = %retry.destination, %detail, "events: given up");
                Some(Retry { attempts: retry.attempts + 1, dead: Some(DeadReason::Exhausted), ..retry.clone() })
            }
            Err(OutletError::Unavailable { .. }) => {
                let attempts = retry.attempts + 1;
                Some(Retry { attempts, due: now + backoff(attempts), ..retry.clone() })
            }
        };
        match &next {
            None => report.sent += 1,
            Some(next) if next.dead.is_some() => report.dead += 1,
            Some(_) => report.held += 1,
        }
        deps.store.retried(&retry, next.as_ref()).await?;
    }
    tracing::info!(?report, "events: outbox tried");
    Ok(report)
}

/// Sends one held delivery. A store failure ends the run; a destination's is the delivery's outcome.
async fn send<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    retry: &Retry,
    outgoing: &Outgoing,
) -> Result<Result<(), OutletError>, StoreError>
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let domain = &retry.shop;
    let marked = matches!(retry.destination, Destination::EventBridge | Destination::Flow);
    if marked && deps.store.event_sent(domain, &retry.event_id, retry.destination).await? {
        return Ok(Ok(()));
    }
    let outcome = match outgoing {
        Outgoing::Bus { detail_type, detail } => {
            let entry = BusEntry { detail_type: detail_type.clone(), detail: detail.clone() };
            match outlets.bus.put(std::slice::from_ref(&entry)).await {
                Ok(answers) => answers.into_iter().next().unwrap_or(Ok(())),
                Err(e) => Err(e),
            }
        }
        Outgoing::Klaviyo { .. } => match deps.store.klaviyo_key(domain).await? {
            Some(key) => send_klaviyo(&outlets.klaviyo, &key, &retry.event_id, outgoing).await,
            // The shop turned Klaviyo off since: nothing to send.
            None => Ok(()),
        },
        Outgoing::Flow { handle, payload } => match deps.store.shop(domain).get().await? {
            Some(shop) => {
                let shopify = access::shopify(deps, &shop, None);
                shopify.flow_trigger(handle, payload).await.map_err(from_shopify)
            }
            None => Ok(()),
        },
        Outgoing::Metafield { customer_id } => refresh_standing(deps, domain, *customer_id).await?,
    };
    if marked && outcome.is_ok() {
        deps.store.record_event_sent(domain, &retry.event_id, retry.destination, deps.now()).await?;
    }
    Ok(outcome)
}

/// Writes the customer's standing as it is now (a customer or shop deleted since has none to write).
async fn refresh_standing<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    customer_id: u64,
) -> Result<Result<(), OutletError>, StoreError> {
    let Some(id) = CustomerId::new(customer_id) else { return Ok(Ok(())) };
    let store = deps.store.shop(domain);
    let (shop, customer) = futures::try_join!(store.get(), store.customer(id))?;
    let (Some(shop), Some(customer)) = (shop, customer) else { return Ok(Ok(())) };
    let shopify = access::shopify(deps, &shop, None);
    let standing = tally_domain::events::Standing::of(&customer);
    Ok(standing::write(&shopify, &standing).await.map_err(from_shopify))
}

/// Sends a Klaviyo delivery, trying again a few times while Klaviyo throttles or is down.
pub(super) async fn send_klaviyo<K: Klaviyo>(
    klaviyo: &K,
    key: &str,
    unique_id: &str,
    outgoing: &Outgoing,
) -> Result<(), OutletError> {
    let Outgoing::Klaviyo { metric, time, email, phone, properties } = outgoing else {
        return Err(OutletError::Refused("not a Klaviyo delivery".into()));
    };
    let event = KlaviyoEvent {
        metric: metric.clone(),
        unique_id: unique_id.to_string(),
        time: *time,
        email: email.clone(),
        phone: phone.clone(),
        properties: properties.clone(),
    };
    with_tries(|| klaviyo.create_event(key, &event)).await
}

/// When a delivery held now is first tried again.
pub(super) fn first_due(now: Time) -> Time {
    now + backoff(1)
}
