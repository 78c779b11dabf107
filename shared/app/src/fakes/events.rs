//! The events use case's store, bus and Klaviyo, in memory.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use tally_domain::events::{Destination, Expiring};
use tally_domain::ids::CustomerId;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::FakeStore;
use crate::ports::events::{EventStore, NoticeMark, Retry};
use crate::ports::outlets::{BusEntry, EventBus, Klaviyo, KlaviyoEvent, OutletError, OutletResult};
use crate::ports::store::{Created, StoreResult};

#[derive(Debug, Default)]
pub(super) struct EventsData {
    sent: BTreeSet<(ShopDomain, String, Destination)>,
    klaviyo_keys: BTreeMap<ShopDomain, String>,
    outbox: Vec<Retry>,
    notices: BTreeSet<(ShopDomain, CustomerId, time::Date)>,
    notice_marks: BTreeMap<ShopDomain, NoticeMark>,
}

impl EventStore for FakeStore {
    async fn event_sent(&self, shop: &ShopDomain, event: &str, to: Destination) -> StoreResult<bool> {
        Ok(self.world().events.sent.contains(&(shop.clone(), event.to_string(), to)))
    }

    async fn record_event_sent(&self, shop: &ShopDomain, event: &str, to: Destination, _at: Time) -> StoreResult<()> {
        self.world().events.sent.insert((shop.clone(), event.to_string(), to));
        Ok(())
    }

    async fn klaviyo_key(&self, shop: &ShopDomain) -> StoreResult<Option<String>> {
        Ok(self.world().events.klaviyo_keys.get(shop).cloned())
    }

    async fn set_klaviyo_key(&self, shop: &ShopDomain, key: Option<&str>) -> StoreResult<()> {
        let keys = &mut self.world().events.klaviyo_keys;
        match key {
            Some(key) => keys.insert(shop.clone(), key.to_string()),
            None => keys.remove(shop),
        };
        Ok(())
    }

    async fn hold(&self, retry: &Retry) -> StoreResult<()> {
        self.world().events.outbox.push(retry.clone());
        Ok(())
    }

    async fn due(&self, now: Time, limit: usize) -> StoreResult<Vec<Retry>> {
        let mut due: Vec<Retry> =
            self.world().events.outbox.iter().filter(|r| r.dead.is_none() && r.due <= now).cloned().collect();
        due.sort_by_key(|r| r.due);
        due.truncate(limit);
        Ok(due)
    }

    async fn dead_letters(&self, limit: usize) -> StoreResult<Vec<Retry>> {
        Ok(self.world().events.outbox.iter().filter(|r| r.dead.is_some()).take(limit).cloned().collect())
    }

    async fn retried(&self, done: &Retry, next: Option<&Retry>) -> StoreResult<()> {
        let outbox = &mut self.world().events.outbox;
        outbox.retain(|r| r != done);
        outbox.extend(next.cloned());
        Ok(())
    }

    async fn notice_expiring(
        &self,
        shop: &ShopDomain,
        customer: CustomerId,
        expiring: Expiring,
        _at: Time,
    ) -> StoreResult<Created> {
        match self.world().events.notices.insert((shop.clone(), customer, expiring.at.date())) {
            true => Ok(Created::New),
            false => Ok(Created::Exists),
        }
    }

    async fn notice_mark(&self, shop: &ShopDomain) -> StoreResult<Option<NoticeMark>> {
        Ok(self.world().events.notice_marks.get(shop).cloned())
    }

    async fn set_notice_mark(&self, shop: &ShopDomain, mark: &NoticeMark) -> StoreResult<()> {
        self.world().events.notice_marks.insert(shop.clone(), mark.clone());
        Ok(())
    }
}

/// A bus that keeps what it is sent, and is down while told so.
#[derive(Debug, Clone, Default)]
pub struct FakeBus {
    pub received: Arc<Mutex<Vec<BusEntry>>>,
    pub down: Arc<Mutex<bool>>,
}

impl EventBus for FakeBus {
    async fn put(&self, entries: &[BusEntry]) -> OutletResult<Vec<OutletResult<()>>> {
        if *self.down.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(OutletError::Unavailable { detail: "HTTP 503".into(), retry_after: None });
        }
        self.received.lock().unwrap_or_else(|e| e.into_inner()).extend(entries.iter().cloned());
        Ok(vec![Ok(()); entries.len()])
    }
}

/// Klaviyo in memory: one event per `unique_id`, as Klaviyo keeps them; throttling while told so.
#[derive(Debug, Clone, Default)]
pub struct FakeKlaviyo {
    pub events: Arc<Mutex<BTreeMap<String, (String, KlaviyoEvent)>>>,
    pub throttling: Arc<Mutex<bool>>,
}

impl Klaviyo for FakeKlaviyo {
    async fn create_event(&self, key: &str, event: &KlaviyoEvent) -> OutletResult<()> {
        if *self.throttling.lock().unwrap_or_else(|e| e.into_inner()) {
            return Err(OutletError::Unavailable { detail: "HTTP 429".into(), retry_after: None });
        }
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        events.entry(event.unique_id.clone()).or_insert_with(|| (key.to_string(), event.clone()));
        Ok(())
    }
}
