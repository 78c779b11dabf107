//! The events use case over the fakes: the records a redemption's writes put on the stream become its
//! events at every destination, once, and a destination that fails waits in the outbox.

use tally_domain::reward::RewardStatus;

use super::{customer_id, World, START};
use crate::events::{deliver, retry_due, Change, Record};
use crate::fakes::{FakeBus, FakeKlaviyo};
use crate::ports::events::EventStore;
use crate::ports::outlets::Outlets;
use crate::ports::store::Ledgers;
use crate::ports::Store;

type FakeOutlets = Outlets<FakeBus, FakeKlaviyo>;

fn outlets() -> FakeOutlets {
    Outlets { bus: FakeBus::default(), klaviyo: FakeKlaviyo::default() }
}

/// The records the stream would carry for the customer's ledger, a reward reaching `UNUSED` and the record.
async fn redemption_records(world: &World) -> Vec<Record> {
    let redeemed = world.redeem(1).await.unwrap();
    let store = world.deps.store.shop(&world.shop.domain);
    let record = |change| Record { shop: world.shop.domain.clone(), committed_at: START, change };
    let mut records: Vec<Record> =
        store.ledger(customer_id()).await.unwrap().into_iter().map(|e| record(Change::Ledger(e))).collect();
    let reward = world.reward(&redeemed.reward).await;
    records.push(record(Change::Reward { before: Some(RewardStatus::Pending), after: Box::new(reward) }));
    records.push(record(Change::Profile(Box::new(world.customer().await))));
    records
}

fn metafield_balance(world: &World) -> Option<i64> {
    let state = world.deps.shopify.state(&world.shop.domain);
    let (value, _) = state.metafields.values().next()?;
    serde_json::from_str::<serde_json::Value>(value).ok()?["balance"].as_i64()
}

#[tokio::test]
async fn a_redemption_reaches_every_destination_once_however_often_it_is_given() {
    let world = World::new().await;
    world.deps.store.set_klaviyo_key(&world.shop.domain, Some("pk_test")).await.unwrap();
    let (outlets, records) = (outlets(), redemption_records(&world).await);
    for _ in 0..2 {
        let delivered = deliver(&world.deps, &outlets, &records, None).await;
        assert_eq!(delivered.failed_at, None);
    }
    let bus: Vec<String> = outlets.bus.received.lock().unwrap().iter().map(|e| e.detail_type.clone()).collect();
    assert_eq!(bus, ["points.added", "reward.issued"], "the redemption's own spending is the reward's event");
    assert_eq!(outlets.klaviyo.events.lock().unwrap().len(), 2);
    let flow = world.deps.shopify.state(&world.shop.domain).flow_triggers;
    assert_eq!(
        flow.iter().map(|(handle, _)| handle.as_str()).collect::<Vec<_>>(),
        ["tally-points-changed", "tally-reward-issued"]
    );
    assert_eq!(metafield_balance(&world), Some(2000));
}

#[tokio::test]
async fn an_older_standing_delivered_late_never_replaces_a_newer_one() {
    let world = World::new().await;
    let older = world.customer().await;
    let records = redemption_records(&world).await;
    deliver(&world.deps, &outlets(), &records, None).await;
    let late =
        Record { shop: world.shop.domain.clone(), committed_at: START, change: Change::Profile(Box::new(older)) };
    deliver(&world.deps, &outlets(), &[late], None).await;
    assert_eq!(metafield_balance(&world), Some(2000), "the balance after the redemption stays");
}

#[tokio::test]
async fn a_throttling_klaviyo_holds_its_events_and_the_outbox_sends_each_once() {
    let world = World::new().await;
    world.deps.store.set_klaviyo_key(&world.shop.domain, Some("pk_test")).await.unwrap();
    let (outlets, records) = (outlets(), redemption_records(&world).await);
    *outlets.klaviyo.throttling.lock().unwrap() = true;
    let delivered = deliver(&world.deps, &outlets, &records, None).await;
    assert_eq!((delivered.held, delivered.failed_at), (2, None), "held, and the stream goes on");
    assert_eq!(outlets.bus.received.lock().unwrap().len(), 2, "the bus did not wait for Klaviyo");
    let later = START + time::Duration::hours(1);
    assert_eq!(retry_due(&world.deps, &outlets, later, 10, None).await.unwrap().held, 2, "still throttling");
    *outlets.klaviyo.throttling.lock().unwrap() = false;
    let report = retry_due(&world.deps, &outlets, later + time::Duration::hours(1), 10, None).await.unwrap();
    assert_eq!((report.sent, report.held), (2, 0));
    let sent = outlets.klaviyo.events.lock().unwrap();
    assert_eq!(sent.len(), 2);
    let (_, event) = sent.values().next().unwrap();
    assert_eq!(event.email.as_deref(), Some("c1001@example.com"), "the customer read again when sent");
}
