//! The outbox: deliveries that failed wait there and are tried again, later each time (`backoff`), by the
//! events function's scheduled run, one run at a time; one that fails for a day, or that its destination
//! refuses, becomes a dead letter, kept for an operator (`tally-cli events dead-letters`) and counted for the
//! alarm. A destination that fails for one delivery of a shop is not tried again for that shop's others in
//! the same run: they wait as long as the first.

use std::collections::HashSet;
use std::time::Instant;

use serde::Serialize;
use tally_domain::events::Destination;
use tally_domain::ids::CustomerId;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::outcome::{from_shopify, klaviyo_event, with_tries, Cutoff};
use super::{standing, wire, Outgoing};
use crate::access;
use crate::jobs::{self, JobError};
use crate::ports::events::{DeadReason, EventStore, Retry};
use crate::ports::outlets::{BusEntry, EventBus, Klaviyo, OutletError, Outlets};
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

/// When a delivery held now is first tried again.
pub(super) fn first_due(now: Time) -> Time {
    now + backoff(1)
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryReport {
    pub sent: usize,
    pub held: usize,
    pub dead: usize,
    /// Deliveries the store failed on: they stay due, for the next run.
    pub errors: usize,
}

/// Tries again the deliveries due by `now`, at most `limit` of them, until `deadline` is near; nothing
/// when another run is at it.
pub async fn retry_due<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    now: Time,
    limit: usize,
    deadline: Option<Instant>,
) -> Result<RetryReport, JobError>
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let run = jobs::exclusively(deps, "events-outbox", deadline, async {
        let cutoff = Cutoff::before(deadline);
        let mut report = RetryReport::default();
        let mut failing: HashSet<(ShopDomain, Destination)> = HashSet::new();
        for retry in deps.store.due(now, limit).await? {
            let group = (retry.shop.clone(), retry.destination);
            let outcome = if cutoff.passed() {
                break;
            } else if failing.contains(&group) {
                Ok(Err(OutletError::Unavailable { detail: "failing in this run".into(), retry_after: None }))
            } else {
                send(deps, outlets, &retry, cutoff).await
            };
            let next = match outcome {
                Ok(outcome) => next(&retry, outcome, now),
                Err(e) => {
                    tracing::warn!(event = %retry.event_id, error = %e, "events: the store failed on a held delivery");
                    report.errors += 1;
                    continue;
                }
            };
            if next.as_ref().is_some_and(|n| n.dead.is_none()) {
                failing.insert(group);
            }
            match deps.store.retried(&retry, next.as_ref()).await {
                Ok(()) => report.count(next.as_ref()),
                Err(e) => {
                    tracing::warn!(event = %retry.event_id, error = %e, "events: a held delivery could not be moved");
                    report.errors += 1;
                }
            }
        }
        Ok(report)
    })
    .await?;
    let report = run.unwrap_or_default();
    tracing::info!(?report, "events: outbox tried");
    Ok(report)
}

impl RetryReport {
    fn count(&mut self, next: Option<&Retry>) {
        match next {
            None => self.sent += 1,
            Some(next) if next.dead.is_some() => self.dead += 1,
            Some(_) => self.held += 1,
        }
    }
}

/// What follows a try: nothing (sent), the same later, or a dead letter.
fn next(retry: &Retry, outcome: Result<(), OutletError>, now: Time) -> Option<Retry> {
    let attempts = retry.attempts + 1;
    match outcome {
        Ok(()) => None,
        Err(OutletError::Refused(why)) => {
            tracing::error!(event = %retry.event_id, to = %retry.destination, %why, "events: a dead letter");
            Some(Retry { attempts, dead: Some(DeadReason::Refused), ..retry.clone() })
        }
        Err(e) if attempts >= MAX_ATTEMPTS => {
            tracing::error!(event = %retry.event_id, to = %retry.destination, error = %e, "events: given up");
            Some(Retry { attempts, dead: Some(DeadReason::Exhausted), ..retry.clone() })
        }
        Err(OutletError::Unavailable { retry_after: Some(after), .. }) => {
            let asked = now + time::Duration::seconds(i64::try_from(after.as_secs()).unwrap_or(3600).min(3600));
            Some(Retry { attempts, due: asked.max(now + backoff(attempts)), ..retry.clone() })
        }
        Err(_) => Some(Retry { attempts, due: now + backoff(attempts), ..retry.clone() }),
    }
}

/// Sends one held delivery. A store failure is the run's to count; a destination's is the delivery's
/// outcome.
async fn send<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    retry: &Retry,
    cutoff: Cutoff,
) -> Result<Result<(), OutletError>, StoreError>
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let domain = &retry.shop;
    let outgoing = match serde_json::from_str::<Outgoing>(&retry.body) {
        Ok(outgoing) => outgoing,
        Err(e) => return Ok(Err(OutletError::Refused(format!("an outbox body that cannot be read: {e}")))),
    };
    let marked = matches!(retry.destination, Destination::EventBridge | Destination::Flow);
    if marked && deps.store.event_sent(domain, &retry.event_id, retry.destination).await? {
        return Ok(Ok(()));
    }
    let outcome = match &outgoing {
        Outgoing::Bus { customer_id, detail_type, detail } => {
            // The customer as they are now; one deleted meanwhile is not sent.
            let Some(facts) = customer(deps, domain, *customer_id).await? else { return Ok(Ok(())) };
            let entry = BusEntry { detail_type: detail_type.clone(), detail: wire::with_customer(detail, &facts) };
            match outlets.bus.put(std::slice::from_ref(&entry)).await {
                Ok(answers) => answers.into_iter().next().unwrap_or(Err(OutletError::Unknown("no answer".into()))),
                Err(e) => Err(e),
            }
        }
        Outgoing::Klaviyo { customer_id, metric, time, properties } => {
            // The shop turned Klaviyo off since, or the customer is gone: nothing to send.
            let Some(key) = deps.store.klaviyo_key(domain).await? else { return Ok(Ok(())) };
            let Some(facts) = customer(deps, domain, *customer_id).await? else { return Ok(Ok(())) };
            let properties = wire::with_customer(properties, &facts);
            let event = klaviyo_event(&retry.event_id, metric.clone(), *time, &facts, properties);
            with_tries(cutoff, || outlets.klaviyo.create_event(&key, &event)).await
        }
        Outgoing::Flow { handle, payload } => match deps.store.shop(domain).get().await? {
            Some(shop) => access::shopify(deps, &shop, None).flow_trigger(handle, payload).await.map_err(from_shopify),
            None => Ok(()),
        },
        Outgoing::Metafield { customer_id } => refresh_standing(deps, domain, *customer_id).await?,
    };
    if marked && outcome.is_ok() {
        if let Err(e) = deps.store.record_event_sent(domain, &retry.event_id, retry.destination, deps.now()).await {
            tracing::error!(event = %retry.event_id, error = %e, "events: sent, but not marked");
        }
    }
    Ok(outcome)
}

/// Who the customer is now, if they still are.
async fn customer<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    id: u64,
) -> Result<Option<wire::CustomerFacts>, StoreError> {
    let Some(id) = CustomerId::new(id) else { return Ok(None) };
    Ok(deps.store.shop(domain).customer(id).await?.as_ref().map(wire::CustomerFacts::of))
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
