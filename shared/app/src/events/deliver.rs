//! A batch of the stream's records, delivered: each shop's events to every destination at once.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use tally_domain::events::{Destination, Event, Standing};
use tally_domain::ids::CustomerId;
use tally_domain::shop::{Shop, ShopDomain, ShopStatus};
use tally_domain::Time;

use super::outcome::{all, from_shopify, hold, klaviyo_event, marked, with_tries, Cutoff};
use super::wire::{self, CustomerFacts};
use super::{standing, Change, Delivered, Outgoing, Record};
use crate::access;
use crate::ports::events::{EventStore, Retry};
use crate::ports::outlets::{BusEntry, EventBus, Klaviyo, OutletError, Outlets};
use crate::ports::store::{Customers, ShopRecords, StoreResult};
use crate::ports::{Shopify, ShopifyShop, Store};
use crate::Deps;

/// Delivers the events of `records` (a batch of the stream, in its order) and the standings they change,
/// starting no delivery after `deadline` is near (what is left waits in the outbox).
pub async fn deliver<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    records: &[Record],
    deadline: Option<Instant>,
) -> Delivered
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
    let cutoff = Cutoff::before(deadline);
    let shops = by_shop.into_iter().map(|(domain, records)| deliver_shop(deps, outlets, domain, records, cutoff));
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
    now: Time,
    cutoff: Cutoff,
}

async fn deliver_shop<S, H, B, K>(
    deps: &Deps<S, H>,
    outlets: &Outlets<B, K>,
    domain: &ShopDomain,
    records: Vec<(usize, &Record)>,
    cutoff: Cutoff,
) -> Delivered
where
    S: Store + EventStore,
    H: Shopify,
    B: EventBus,
    K: Klaviyo,
{
    let first = records.first().map(|(at, _)| *at);
    let batch = match read_batch(deps, domain, &records, cutoff).await {
        Ok(Some(batch)) => batch,
        Ok(None) => return Delivered::default(),
        Err(e) => {
            tracing::warn!(%domain, error = %e, "events: the store failed reading the shop");
            return Delivered { failed_at: first, ..Delivered::default() };
        }
    };
    let shopify = access::shopify(deps, &batch.shop, None);
    // An uninstalled app has no Shopify to tell: its Flow triggers and metafields are not written.
    let installed = batch.shop.status == ShopStatus::Active;
    let (bus, klaviyo, flow, metafields) = futures::join!(
        to_bus(deps, &outlets.bus, &batch),
        to_klaviyo(deps, &outlets.klaviyo, &batch),
        async {
            if installed {
                to_flow(deps, &shopify, &batch).await
            } else {
                Delivered::default()
            }
        },
        async {
            if installed {
                to_metafields(deps, &shopify, &batch).await
            } else {
                Delivered::default()
            }
        },
    );
    let mut delivered = Delivered { events: batch.events.len(), ..Delivered::default() };
    for each in [bus, klaviyo, flow, metafields] {
        delivered.add(each);
    }
    delivered
}

/// The shop, its events and standings, who they are about, and its Klaviyo key; `None` when the shop is
/// gone (deleted: there is nobody to tell).
async fn read_batch<S: Store + EventStore, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    records: &[(usize, &Record)],
    cutoff: Cutoff,
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
    let missing: BTreeSet<CustomerId> =
        events.iter().map(|(_, e)| e.customer_id).filter(|id| !customers.contains_key(id)).collect();
    let read = futures::future::try_join_all(missing.iter().map(|id| store.customer(*id))).await?;
    for (id, customer) in missing.into_iter().zip(read) {
        customers.insert(id, super::wire::facts(customer.as_ref(), id));
    }
    Ok(Some(Batch { shop, events, standings, customers, klaviyo_key, now: deps.now(), cutoff }))
}

impl Batch {
    fn facts(&self, event: &Event) -> CustomerFacts {
        self.customers.get(&event.customer_id).cloned().unwrap_or_else(|| wire::facts(None, event.customer_id))
    }

    fn body(&self, event: &Event) -> String {
        wire::body(event, &self.facts(event)).to_string()
    }

    /// The event as the outbox keeps it: the customer by id alone, read again when it is sent, so that
    /// the outbox holds no one's email or phone and a customer deleted meanwhile is not sent.
    fn held_body(&self, event: &Event) -> String {
        wire::body(event, &wire::facts(None, event.customer_id)).to_string()
    }

    fn retry(&self, destination: Destination, event_id: &str, outgoing: &Outgoing) -> Retry {
        Retry {
            shop: self.shop.domain.clone(),
            destination,
            event_id: event_id.to_string(),
            body: serde_json::to_string(outgoing).unwrap_or_default(),
            attempts: 1,
            due: super::retry::first_due(self.now),
            dead: None,
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
        let answers = match batch.cutoff.passed() {
            true => vec![Err(Cutoff::out_of_time()); chunk.len()],
            false => match bus.put(&entries).await {
                Ok(answers) if answers.len() == entries.len() => answers,
                Ok(_) => vec![Err(OutletError::Unknown("answers lost".into())); chunk.len()],
                Err(e) => vec![Err(e); chunk.len()],
            },
        };
        for ((at, event), answer) in chunk.iter().zip(answers) {
            delivered.add(match answer {
                Ok(()) => marked(&deps.store, domain, event, Destination::EventBridge, batch.now).await,
                Err(e) => {
                    let detail_type = event.name.as_str().to_string();
                    let outgoing = Outgoing::Bus {
                        customer_id: event.customer_id.get(),
                        detail_type,
                        detail: batch.held_body(event),
                    };
                    hold(&deps.store, batch.retry(Destination::EventBridge, &event.id, &outgoing), e, *at).await
                }
            });
        }
    }
    delivered
}

async fn to_klaviyo<S: Store + EventStore, H, K: Klaviyo>(deps: &Deps<S, H>, klaviyo: &K, batch: &Batch) -> Delivered {
    let Some(key) = batch.klaviyo_key.as_deref() else { return Delivered::default() };
    let sends = batch.events.iter().filter_map(|(at, event)| {
        let facts = batch.facts(event);
        // Klaviyo finds a profile by email or phone; a customer with neither has none to tell.
        (facts.email.is_some() || facts.phone.is_some()).then_some(async move {
            let sent = klaviyo_event(&event.id, wire::metric(event.name), event.at, &facts, batch.body(event));
            match with_tries(batch.cutoff, || klaviyo.create_event(key, &sent)).await {
                Ok(()) => Delivered { sent: 1, ..Delivered::default() },
                Err(e) => {
                    let outgoing = Outgoing::Klaviyo {
                        customer_id: event.customer_id.get(),
                        metric: sent.metric,
                        time: event.at,
                        properties: batch.held_body(event),
                    };
                    hold(&deps.store, batch.retry(Destination::Klaviyo, &event.id, &outgoing), e, *at).await
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
            let trigger = || async { shopify.flow_trigger(handle, &payload).await.map_err(from_shopify) };
            match with_tries(batch.cutoff, trigger).await {
                Ok(()) => marked(&deps.store, domain, event, Destination::Flow, batch.now).await,
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
        let write = || async { standing::write(shopify, standing).await.map_err(from_shopify) };
        match with_tries(batch.cutoff, write).await {
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
