//! A batch of the stream's records, delivered: each shop's events to every destination at once.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use futures::StreamExt;
use tally_domain::events::{Destination, Event, Standing};
use tally_domain::ids::CustomerId;
use tally_domain::shop::{Shop, ShopDomain};

use super::wire::{self, CustomerFacts};
use super::{standing, Change, Delivered, Outgoing, Record};
use crate::access;
use crate::ports::events::{DeadReason, EventStore, Retry};
use crate::ports::outlets::{BusEntry, EventBus, Klaviyo, OutletError, Outlets};
use crate::ports::store::{Customers, ShopRecords, StoreResult};
use crate::ports::{Shopify, ShopifyError, ShopifyShop, Store};
use crate::Deps;

/// How many deliveries of one destination are in flight at once.
const IN_FLIGHT: usize = 8;
/// Tries of a delivery before it waits in the outbox.
const TRIES_NOW: u32 = 3;
/// The longest wait between two of them, whatever a destination asks.
const LONGEST_WAIT: Duration = Duration::from_secs(1);

/// Delivers the events of `records` (a batch of the stream, in its order) and the standings they change.
pub async fn deliver<S, H, B, K>(deps: &Deps<S, H>, outlets: &Outlets<B, K>, records: &[Record]) -> Delivered
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let mut by_shop: BTreeMap<&ShopDomain, Vec<(usize, &Record)>> = BTreeMap::new();
    for (at, record) in records.iter().enumerate() {
        by_shop.entry(&record.shop).or_default().push((at, record));
    }
    let shops = by_shop.into_iter().map(|(domain, records)| deliver_shop(deps, outlets, domain, records));
    let mut delivered = Delivered::default();
    for shop in futures::future::join_all(shops).await {
        delivered.add(shop);
    }
    if delivered.events > 0 || delivered.sent > 0 {
        tracing::info!(?delivered, records = records.len(), "events delivered");
    }
    delivered
}

/// One shop's events: what each is, who it is about, and where it goes.
struct Batch {
    shop: Shop,
    events: Vec<(usize, Event)>,
    standings: Vec<(usize, Standing)>,
    customers: HashMap<CustomerId, CustomerFacts>,
    klaviyo_key: Option<String>,
    deps_now: tally_domain::Time,
}

async fn deliver_shop<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    domain: &ShopDomain,
    records: Vec<(usize, &Record)>,
) -> Delivered
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let first = records.first().map(|(at, _)| *at);
    let batch = match read_batch(deps, domain, &records).await {
        Ok(Some(batch)) => batch,
        Ok(None) => return Delivered::default(),
        Err(e) => {
            tracing::warn!(%domain, error = %e, "events: the store failed reading the shop");
            return Delivered { failed_at: first, ..Delivered::default() };
        }
    };
    let shopify = access::shopify(deps, &batch.shop, None);
    let (bus, klaviyo, flow, metafields) = futures::join!(
        to_bus(deps, &outlets.bus, &batch),
        to_klaviyo(deps, &outlets.klaviyo, &batch),
        to_flow(deps, &shopify, &batch),
        to_metafields(deps, &shopify, &batch),
    );
    let mut delivered = Delivered { events: batch.events.len(), ..Delivered::default() };
    for each in [bus, klaviyo, flow, metafields] {
        delivered.add(each);
    }
    delivered
}

/// The shop, its events and standings, who they are about, and its Klaviyo key; `None` when the shop is
/// gone (uninstalled and deleted: there is nobody to tell).
async fn read_batch<S: Store + EventStore, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    records: &[(usize, &Record)],
) -> StoreResult<Option<Batch>> {
    let store = deps.store.shop(domain);
    let (shop, klaviyo_key) = futures::try_join!(store.get(), deps.store.klaviyo_key(domain))?;
    let Some(shop) = shop else { return Ok(None) };
    let mut customers: HashMap<CustomerId, CustomerFacts> = HashMap::new();
    let mut standings: Vec<(usize, Standing)> = Vec::new();
    let mut events = Vec::new();
    for (at, record) in records {
        if let Change::Profile(customer) = &record.change {
            customers.insert(customer.customer_id, CustomerFacts::of(customer));
            standings.retain(|(_, s)| s.customer_id != customer.customer_id);
            standings.push((*at, Standing::of(customer)));
        }
        events.extend(record.event().map(|event| (*at, event)));
    }
    let missing: Vec<CustomerId> = events
        .iter()
        .map(|(_, e)| e.customer_id)
        .filter(|id| !customers.contains_key(id))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let read = futures::future::try_join_all(missing.iter().map(|id| store.customer(*id))).await?;
    for (id, customer) in missing.into_iter().zip(read) {
        let facts = customer.as_ref().map(CustomerFacts::of);
        customers.insert(id, facts.unwrap_or(CustomerFacts { id: id.get(), ..CustomerFacts::default() }));
    }
    let deps_now = deps.now();
    Ok(Some(Batch { shop, events, standings, customers, klaviyo_key, deps_now }))
}

impl Batch {
    fn facts(&self, event: &Event) -> CustomerFacts {
        self.customers.get(&event.customer_id).cloned().unwrap_or_default()
    }

    fn body(&self, event: &Event) -> String {
        wire::body(event, &self.facts(event)).to_string()
    }

    fn retry(&self, destination: Destination, event_id: &str, outgoing: &Outgoing) -> Retry {
        Retry {
            shop: self.shop.domain.clone(),
            destination,
            event_id: event_id.to_string(),
            body: serde_json::to_string(outgoing).unwrap_or_default(),
            attempts: 1,
            due: super::retry::first_due(self.deps_now),
            dead: None,
        }
    }
}

/// What a failed delivery becomes: held for later, or a dead letter; or, if the store cannot keep it,
/// a failure of its record.
async fn hold<S: EventStore>(store: &S, retry: Retry, error: OutletError, record: usize) -> Delivered {
    let retry = match error {
        OutletError::Refused(ref why) => {
            tracing::error!(event = %retry.event_id, to = %retry.destination, %why, "events: refused, a dead letter");
            Retry { dead: Some(DeadReason::Refused), ..retry }
        }
        OutletError::Unavailable { ref detail, .. } => {
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

pub(super) fn from_shopify(error: ShopifyError) -> OutletError {
    match error {
        ShopifyError::Refused(detail) => OutletError::Refused(detail),
        other => OutletError::Unavailable { detail: other.to_string(), retry_after: None },
    }
}

/// Tries `send` up to `TRIES_NOW` times while the destination is unavailable, waiting as it asks (up to
/// `LONGEST_WAIT`) or a little longer each time.
pub(super) async fn with_tries<F, Fut>(mut send: F) -> Result<(), OutletError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), OutletError>>,
{
    let mut tries = 1;
    loop {
        match send().await {
            Err(OutletError::Unavailable { retry_after, .. }) if tries < TRIES_NOW => {
                let wait = retry_after.unwrap_or(Duration::from_millis(100 << tries)).min(LONGEST_WAIT);
                tokio::time::sleep(wait).await;
                tries += 1;
            }
            done => return done,
        }
    }
}

async fn to_bus<S: Store + EventStore, H, B: EventBus>(deps: &Deps<S, H>, bus: &B, batch: &Batch) -> Delivered {
    let mut delivered = Delivered::default();
    let domain = &batch.shop.domain;
    let checks = batch.events.iter().map(|(_, e)| deps.store.event_sent(domain, &e.id, Destination::EventBridge));
    let mut unsent = Vec::new();
    for ((at, event), sent) in batch.events.iter().zip(futures::future::join_all(checks).await) {
        match sent {
            Ok(true) => {}
            Ok(false) => unsent.push((*at, event)),
            Err(_) => delivered.failed(Some(*at)),
        }
    }
    for chunk in unsent.chunks(10) {
        let entries: Vec<BusEntry> = chunk
            .iter()
            .map(|(_, e)| BusEntry { detail_type: e.name.as_str().to_string(), detail: batch.body(e) })
            .collect();
        let answers = match bus.put(&entries).await {
            Ok(answers) if answers.len() == entries.len() => answers,
            Ok(_) => {
                vec![Err(OutletError::Unavailable { detail: "answers lost".into(), retry_after: None }); chunk.len()]
            }
            Err(e) => vec![Err(e); chunk.len()],
        };
        for (((at, event), entry), answer) in chunk.iter().zip(entries).zip(answers) {
            let outgoing = Outgoing::Bus { detail_type: entry.detail_type, detail: entry.detail };
            delivered.add(match answer {
                Ok(()) => marked(&deps.store, domain, event, Destination::EventBridge, *at, batch.deps_now).await,
                Err(e) => hold(&deps.store, batch.retry(Destination::EventBridge, &event.id, &outgoing), e, *at).await,
            });
        }
    }
    delivered
}

/// Marks the event taken by the destination.
async fn marked<S: EventStore>(
    store: &S,
    domain: &ShopDomain,
    event: &Event,
    to: Destination,
    record: usize,
    now: tally_domain::Time,
) -> Delivered {
    match store.record_event_sent(domain, &event.id, to, now).await {
        Ok(()) => Delivered { sent: 1, ..Delivered::default() },
        Err(e) => {
            tracing::error!(event = %event.id, %to, error = %e, "events: sent, but not marked");
            Delivered { sent: 1, failed_at: Some(record), ..Delivered::default() }
        }
    }
}

fn klaviyo_event(event: &Event, facts: &CustomerFacts, body: String) -> Outgoing {
    Outgoing::Klaviyo {
        metric: wire::metric(event.name),
        time: event.at,
        email: facts.email.clone(),
        phone: facts.phone.clone(),
        properties: body,
    }
}

async fn to_klaviyo<S: Store + EventStore, H, K: Klaviyo>(deps: &Deps<S, H>, klaviyo: &K, batch: &Batch) -> Delivered {
    let Some(key) = batch.klaviyo_key.as_deref() else { return Delivered::default() };
    let sends = batch.events.iter().filter_map(|(at, event)| {
        let facts = batch.facts(event);
        // Klaviyo finds a profile by email or phone; a customer with neither has none to tell.
        (facts.email.is_some() || facts.phone.is_some()).then(|| {
            let outgoing = klaviyo_event(event, &facts, batch.body(event));
            async move {
                match super::retry::send_klaviyo(klaviyo, key, &event.id, &outgoing).await {
                    Ok(()) => Delivered { sent: 1, ..Delivered::default() },
                    Err(e) => hold(&deps.store, batch.retry(Destination::Klaviyo, &event.id, &outgoing), e, *at).await,
                }
            }
        })
    });
    all(sends).await
}

async fn to_flow<S: Store + EventStore, H, T: ShopifyShop>(deps: &Deps<S, H>, shopify: &T, batch: &Batch) -> Delivered {
    let domain = &batch.shop.domain;
    let sends = batch.events.iter().filter_map(|(at, event)| {
        let handle = wire::flow_trigger(event.name)?;
        Some(async move {
            match deps.store.event_sent(domain, &event.id, Destination::Flow).await {
                Ok(true) => return Delivered::default(),
                Ok(false) => {}
                Err(_) => return Delivered { failed_at: Some(*at), ..Delivered::default() },
            }
            let payload = wire::flow_payload(event).to_string();
            match with_tries(|| async { shopify.flow_trigger(handle, &payload).await.map_err(from_shopify) }).await {
                Ok(()) => marked(&deps.store, domain, event, Destination::Flow, *at, batch.deps_now).await,
                Err(e) => {
                    let outgoing = Outgoing::Flow { handle: handle.to_string(), payload };
                    hold(&deps.store, batch.retry(Destination::Flow, &event.id, &outgoing), e, *at).await
                }
            }
        })
    });
    all(sends).await
}

async fn to_metafields<S: Store + EventStore, H, T: ShopifyShop>(
    deps: &Deps<S, H>,
    shopify: &T,
    batch: &Batch,
) -> Delivered {
    let writes = batch.standings.iter().map(|(at, standing)| async move {
        match with_tries(|| async { standing::write(shopify, standing).await.map_err(from_shopify) }).await {
            Ok(()) => Delivered { sent: 1, ..Delivered::default() },
            Err(e) => {
                let outgoing = Outgoing::Metafield { customer_id: standing.customer_id.get() };
                let id = format!("{}/{}/standing/{}", batch.shop.domain, standing.customer_id, standing.version);
                hold(&deps.store, batch.retry(Destination::Metafield, &id, &outgoing), e, *at).await
            }
        }
    });
    all(writes).await
}

/// Runs the deliveries, `IN_FLIGHT` at a time, and adds up what they came to.
async fn all<F: std::future::Future<Output = Delivered>>(deliveries: impl Iterator<Item = F>) -> Delivered {
    let results: Vec<Delivered> = futures::stream::iter(deliveries).buffer_unordered(IN_FLIGHT).collect().await;
    results.into_iter().fold(Delivered::default(), |mut all, one| {
        all.add(one);
        all
    })
}
