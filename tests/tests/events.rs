//! Events out, over DynamoDB Local's real stream: each change that committed reaches the bus, Klaviyo,
//! Shopify Flow and the customer's metafield exactly once, however often and in whatever order the stream
//! gives it; a destination that is down holds up nothing and loses nothing; a record that cannot be read is
//! set aside with its reason while the rest goes through.

use std::collections::BTreeMap;

use futures::StreamExt;

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::{json, Value};
use tally_app::ports::events::EventStore;
use tally_app::ports::store::ShopRecords;
use tally_app::ports::Store;
use tally_store::Stream;
use tally_tests::{now, Stack, TestShop};

const CUSTOMER: u64 = 8181;
const KLAVIYO_KEY: &str = "pk_test_klaviyo";

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00"});
    let stack = Stack::start_with(Stream::On).await;
    let shop = stack.shop(name).await;
    let rule = stack.rule(&shop, rule).await;
    stack.customer(&shop, CUSTOMER, 1200).await;
    stack.deps.store.set_klaviyo_key(&shop.id, Some(KLAVIYO_KEY)).await.expect("key kept");
    (stack, shop, rule)
}

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64) -> Value {
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let reply = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["reward"].clone()
}

/// The events' names, by how many of each the bus has.
fn names(events: &[Value]) -> BTreeMap<String, usize> {
    let mut counted = BTreeMap::new();
    for event in events {
        *counted.entry(event["name"].as_str().unwrap_or_default().to_string()).or_insert(0) += 1;
    }
    counted
}

fn counted(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(name, n)| (name.to_string(), *n)).collect()
}

/// The customer's metafield as the emulator holds it: its JSON value.
async fn metafield(stack: &Stack, shop: &TestShop) -> Value {
    let state = stack.shopify_state(shop).await;
    let owner = format!("gid://shopify/Customer/{CUSTOMER}");
    let found = state["metafields"].as_array().into_iter().flatten().find(|m| m["ownerId"] == owner.as_str());
    let found = found.expect("the customer's metafield is set");
    assert_eq!(
        (found["namespace"].as_str(), found["key"].as_str(), found["type"].as_str()),
        (Some("app--0--tally"), Some("loyalty"), Some("json"))
    );
    serde_json::from_str(found["value"].as_str().unwrap_or_default()).expect("JSON")
}

/// The payload keys a Flow trigger extension declares: its fields' keys, and `customer_id` for its customer
/// reference (read from `shopify/extensions/{handle}/shopify.extension.toml`).
fn declared_keys(handle: &str) -> std::collections::BTreeSet<String> {
    let path = format!("{}/../shopify/extensions/{handle}/shopify.extension.toml", env!("CARGO_MANIFEST_DIR"));
    let toml = std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no extension {handle}"));
    let mut keys = std::collections::BTreeSet::new();
    for line in toml.lines().map(str::trim) {
        if line == "type = \"customer_reference\"" {
            keys.insert("customer_id".to_string());
        } else if let Some(key) = line.strip_prefix("key = \"").and_then(|k| k.strip_suffix('"')) {
            keys.insert(key.to_string());
        }
    }
    keys
}

/// Every trigger Flow received has a declared handle and exactly its declared fields.
async fn assert_triggers_declared(stack: &Stack, shop: &TestShop) -> usize {
    let state = stack.shopify_state(shop).await;
    let triggers = state["flowTriggers"].as_array().cloned().unwrap_or_default();
    for trigger in &triggers {
        let sent: std::collections::BTreeSet<String> =
            trigger["payload"].as_object().unwrap().keys().cloned().collect();
        assert_eq!(sent, declared_keys(trigger["handle"].as_str().unwrap()), "{trigger}");
    }
    triggers.len()
}

/// What every destination holds for the shop, to compare before and after a replay.
async fn everything(stack: &Stack, shop: &TestShop) -> (Vec<Value>, Vec<Value>, Value, Value) {
    let state = stack.shopify_state(shop).await;
    (
        stack.bus_events(shop).await,
        stack.klaviyo_events(shop).await,
        state["flowTriggers"].clone(),
        state["metafields"].clone(),
    )
}

#[tokio::test]
async fn a_redemption_a_use_a_refund_and_an_expiry_each_reach_every_destination_once() {
    let (stack, shop, rule) = setup("events-life").await;
    let events = stack.events();
    events.pump().await.unwrap();
    assert_eq!(names(&stack.bus_events(&shop).await), counted(&[("points.added", 1)]));

    // A redemption: the reward is issued, the balance falls, everywhere.
    let used = redeem(&stack, &shop, rule).await;
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    assert_eq!(names(&bus), counted(&[("points.added", 1), ("reward.issued", 1)]));
    let issued = bus.iter().find(|e| e["name"] == "reward.issued").unwrap();
    assert_eq!(issued["reward"]["code"], used["discountCode"]);
    assert_eq!(
        (issued["reward"]["points"].as_i64(), issued["customer"]["email"].as_str()),
        (Some(500), Some("c8181@example.com"))
    );
    assert_eq!(metafield(&stack, &shop).await["balance"], 700, "the metafield shows the new balance");
    let klaviyo = stack.klaviyo_events(&shop).await;
    let metrics: Vec<&str> = klaviyo.iter().map(|e| e["metric"].as_str().unwrap_or_default()).collect();
    assert_eq!(metrics.iter().filter(|m| **m == "Tally Reward Issued").count(), 1);
    assert!(klaviyo.iter().all(|e| e["apiKey"] == KLAVIYO_KEY && e["profile"]["email"] == "c8181@example.com"));
    let triggers = stack.shopify_state(&shop).await["flowTriggers"].clone();
    let issued_trigger =
        triggers.as_array().unwrap().iter().find(|t| t["handle"] == "tally-reward-issued").expect("Flow heard");
    assert_eq!(issued_trigger["payload"]["customer_id"], CUSTOMER);
    assert_eq!(issued_trigger["payload"]["Event id"], issued["id"]);

    // A use by order.
    stack.order(&shop, json!({"codes": [used["discountCode"]], "customerId": CUSTOMER})).await;
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    let used_event = bus.iter().find(|e| e["name"] == "reward.used").expect("reward.used");
    assert!(used_event["orderId"].as_u64().is_some(), "{used_event}");

    // A refund: the reward refunded and its points returned.
    let refunded = redeem(&stack, &shop, rule).await;
    let path = format!("/api/external/rewards/{}/refund", refunded["id"]);
    let reply = stack.post(&shop.key, &path, json!({"customerId": CUSTOMER})).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    let returned = bus.iter().find(|e| e["name"] == "points.returned").expect("points.returned");
    assert_eq!((returned["points"].as_i64(), returned["balanceAfter"].as_i64()), (Some(500), Some(700)));
    assert_eq!(metafield(&stack, &shop).await["balance"], 700);

    // An expiry: points given with an end, past it.
    let soon = now() + time::Duration::days(1);
    let add =
        json!({"customerId": CUSTOMER, "points": 40, "reason": "promo", "expiresAt": tally_domain::rfc3339(soon)});
    assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
    events.pump().await.unwrap();
    let next = metafield(&stack, &shop).await;
    assert_eq!((next["balance"].as_i64(), next["nextExpiry"]["points"].as_i64()), (Some(740), Some(40)));
    tally_app::expire::expire(&stack.deps, Some(&shop.id), soon + time::Duration::days(1), None).await.unwrap();
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    assert_eq!(
        names(&bus),
        counted(&[
            ("points.added", 2),
            ("points.expired", 1),
            ("points.returned", 1),
            ("reward.issued", 2),
            ("reward.refunded", 1),
            ("reward.used", 1),
        ])
    );
    let after = metafield(&stack, &shop).await;
    assert_eq!((after["balance"].as_i64(), after["nextExpiry"].is_null()), (Some(700), true));
    let ids: std::collections::BTreeSet<&str> = bus.iter().map(|e| e["id"].as_str().unwrap_or_default()).collect();
    assert_eq!(ids.len(), bus.len(), "one event per id");
    let kept = stack.klaviyo_events(&shop).await.into_iter().filter(|e| e["kept"] == true).count();
    assert_eq!(kept, bus.len(), "Klaviyo heard every event once");
    // Flow heard all but the reward's refund (which points.returned tells), each as its extension declares.
    assert_eq!(assert_triggers_declared(&stack, &shop).await, bus.len() - 1);
}

#[tokio::test]
async fn the_stream_given_again_and_out_of_order_changes_nothing_further() {
    let (stack, shop, rule) = setup("events-replay").await;
    let events = stack.events();
    redeem(&stack, &shop, rule).await;
    let add = json!({"customerId": CUSTOMER, "points": 5, "reason": "sorry"});
    assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
    events.pump().await.unwrap();
    let before = everything(&stack, &shop).await;
    assert_eq!(before.0.len(), 3, "points.added twice and reward.issued: {:?}", names(&before.0));

    // Every record again, in order, and then backwards, newest first.
    let records = events.records().await.unwrap();
    assert!(records.len() >= 6, "the stream holds the writes: {}", records.len());
    assert_eq!(events.deliver_records(records.clone()).await, (None, vec![]));
    let mut backwards = records;
    backwards.reverse();
    assert_eq!(events.deliver_records(backwards).await, (None, vec![]));
    let after = everything(&stack, &shop).await;
    assert_eq!(after.0, before.0, "the bus was sent nothing more");
    assert_eq!(after.1.iter().filter(|e| e["kept"] == true).count(), before.1.len(), "Klaviyo kept nothing more");
    assert_eq!(after.2, before.2, "Flow was sent nothing more");
    assert_eq!(after.3, before.3, "the metafield is the newest standing still");
    assert_eq!(metafield(&stack, &shop).await["balance"], 705);
}

#[tokio::test]
async fn klaviyo_and_the_bus_down_hold_nothing_up_and_lose_and_duplicate_nothing() {
    let (stack, shop, rule) = setup("events-outage").await;
    let events = stack.events();
    for target in ["klaviyo", "eventbridge"] {
        stack.control("POST", "/__emulator/faults", json!({"target": target, "mode": "error", "rate": 1.0})).await;
    }
    redeem(&stack, &shop, rule).await;
    events.pump().await.unwrap();
    assert!(stack.bus_events(&shop).await.is_empty() && stack.klaviyo_events(&shop).await.is_empty());
    assert_eq!(metafield(&stack, &shop).await["balance"], 700, "the metafield did not wait for them");
    let flow = stack.shopify_state(&shop).await["flowTriggers"].as_array().map_or(0, Vec::len);
    assert_eq!(flow, 2, "Flow heard points.added and reward.issued");
    let held = stack.deps.store.due(now() + time::Duration::hours(1), 100).await.unwrap();
    assert_eq!(held.len(), 4, "two events for each of the two destinations wait: {held:?}");

    // Still down: tried again later, still held, nothing lost.
    let report = events.retry(now() + time::Duration::hours(1)).await.unwrap();
    assert_eq!((report.sent, report.held, report.dead), (0, 4, 0));
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    // Two runs at once (a schedule's run overlapping the last): one does the work, the other nothing.
    let later = now() + time::Duration::hours(3);
    let (first, second) = tokio::join!(events.retry(later), events.retry(later));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!((first.sent + second.sent, first.held + second.held, first.dead + second.dead), (4, 0, 0));
    assert_eq!(names(&stack.bus_events(&shop).await), counted(&[("points.added", 1), ("reward.issued", 1)]));
    let klaviyo = stack.klaviyo_events(&shop).await;
    assert_eq!(klaviyo.len(), 2, "each sent once: {klaviyo:?}");
    let report = events.retry(now() + time::Duration::days(2)).await.unwrap();
    assert_eq!((report.sent, report.held), (0, 0), "the outbox is empty");

    // The stream given again sends nothing more.
    let records = events.records().await.unwrap();
    assert_eq!(events.deliver_records(records).await, (None, vec![]));
    assert_eq!(stack.bus_events(&shop).await.len(), 2);
    assert_eq!(stack.klaviyo_events(&shop).await.iter().filter(|e| e["kept"] == true).count(), 2);
}

#[tokio::test]
async fn a_record_that_cannot_be_read_is_set_aside_and_the_rest_go_through() {
    let (stack, shop, _) = setup("events-poison").await;
    let events = stack.events();
    events.pump().await.unwrap();
    // A ledger entry no version of Tally wrote: its kind is no word of the ledger.
    let client = tally_config::dynamodb_client(Some(&tally_tests::dynamodb_endpoint())).unwrap();
    let pk = format!("SHOP#{}#CUSTOMER#{CUSTOMER}", shop.domain);
    client
        .put_item()
        .table_name(stack.store.table())
        .item("PK", AttributeValue::S(pk))
        .item("SK", AttributeValue::S("LEDGER#999999999999".into()))
        .item("kind", AttributeValue::S("NOT_A_KIND".into()))
        .send()
        .await
        .unwrap();
    let add = json!({"customerId": CUSTOMER, "points": 5, "reason": "after the poison"});
    assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
    events.pump().await.unwrap();
    let letters = events.dead_letters.lock().unwrap().clone();
    assert_eq!(letters.len(), 1, "{letters:?}");
    assert_eq!(letters[0].keys["SK"]["S"], "LEDGER#999999999999");
    assert!(letters[0].reason.contains("shape"), "{}", letters[0].reason);
    let added = names(&stack.bus_events(&shop).await);
    assert_eq!(added, counted(&[("points.added", 2)]), "the records after it went through");
    assert_eq!(metafield(&stack, &shop).await["balance"], 1205, "the standing after it went through too");
}

#[tokio::test]
async fn points_about_to_expire_are_told_once_within_the_notice_period() {
    let (stack, shop, _) = setup("events-notice").await;
    let events = stack.events();
    let add = |points: i64, days: i64| {
        let ends = tally_domain::rfc3339(now() + time::Duration::days(days));
        json!({"customerId": CUSTOMER, "points": points, "reason": "promo", "expiresAt": ends})
    };
    for (points, days) in [(30, 3), (20, 3), (70, 20)] {
        assert_eq!(stack.post(&shop.key, "/api/external/add-points", add(points, days)).await.status, 200);
    }
    let record = stack.deps.store.shop(&shop.id).get().await.unwrap().unwrap();
    assert_eq!(record.settings.expiry_notice_days, 7, "a week's notice unless the shop says otherwise");
    let noticed = tally_app::events::notice_expiring(&stack.deps, &record, now(), None).await.unwrap();
    assert_eq!(noticed, 1, "one customer, one day of expiry within the week");
    assert_eq!(tally_app::events::notice_expiring(&stack.deps, &record, now(), None).await.unwrap(), 0, "once");
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    let notice = bus.iter().find(|e| e["name"] == "points.expiring_soon").expect("the notice");
    assert_eq!(notice["expiring"]["points"], 50, "both lots of that day");
    let state = stack.shopify_state(&shop).await;
    let trigger =
        state["flowTriggers"].as_array().unwrap().iter().find(|t| t["handle"] == "tally-points-expiring-soon");
    assert_eq!(trigger.expect("Flow heard")["payload"]["Points expiring"], 50);
    assert_triggers_declared(&stack, &shop).await;
    // Two weeks on, the lot of the 20th day is within the week: told then.
    let later = now() + time::Duration::days(14);
    assert_eq!(tally_app::events::notice_expiring(&stack.deps, &record, later, None).await.unwrap(), 1);
}

#[tokio::test]
async fn a_delivery_klaviyo_refuses_is_a_dead_letter_the_operator_sees() {
    let (stack, shop, _) = setup("events-refused").await;
    // The operator sets the key as the README says; the settings printed say Klaviyo is on, not the key.
    let (ok, printed) =
        stack.cli_with_env(&["shop", "set", "--shop", &shop.domain], &[("KLAVIYO_KEY", "pk_revoked")]).await;
    assert!(ok && printed.contains("\"klaviyo\": true") && !printed.contains("pk_revoked"), "{printed}");
    stack.control("POST", "/__emulator/faults", json!({"target": "klaviyo", "mode": "user_error", "count": 1})).await;
    stack.events().pump().await.unwrap();
    let held = stack.deps.store.due(now() + time::Duration::days(3), 10).await.unwrap();
    assert!(held.is_empty(), "a refusal is not tried again: {held:?}");
    let (ok, printed) = stack.cli(&["events", "dead-letters"]).await;
    let letters: Value = serde_json::from_str(&printed).unwrap_or_else(|_| panic!("JSON: {printed}"));
    assert!(ok, "{printed}");
    assert_eq!((letters[0]["destination"].as_str(), letters[0]["reason"].as_str()), (Some("KLAVIYO"), Some("REFUSED")));
    assert_eq!(letters[0]["body"]["metric"], "Tally Points Added");
    assert_eq!(stack.bus_events(&shop).await.len(), 1, "the bus had it all the same");
    let (ok, printed) = stack.cli(&["shop", "set", "--shop", &shop.domain, "--no-klaviyo"]).await;
    assert!(ok && printed.contains("\"klaviyo\": false"), "{printed}");
}

/// Milliseconds since the Unix epoch.
fn epoch_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis()
}

/// The benchmark's figures (`make bench` runs it with `EVENTS_BENCH=2000` and puts its `EVENTS` lines in
/// bench/report.md; `make test` runs 200): events a second through the events function, every destination
/// included, and the delay from a change's commit (its API answer) to the bus, at p50 and p99, polling
/// the stream every 50 ms as the local runner does.
#[tokio::test]
async fn events_a_second_and_the_delay_from_commit_to_delivery() {
    let count: usize = std::env::var("EVENTS_BENCH").ok().and_then(|n| n.parse().ok()).unwrap_or(200);
    let (stack, shop, _) = setup("events-bench").await;
    let events = stack.events();
    let customers: Vec<u64> = (1..=20).map(|n| 90_000 + n).collect();
    for id in &customers {
        stack.customer(&shop, *id, 0).await;
    }
    events.pump().await.unwrap();
    let before = stack.bus_events(&shop).await.len();

    // Throughput: the changes first, then one pump over all of them.
    let adds = (0..count).map(|n| {
        let body = json!({"customerId": customers[n % customers.len()], "points": 1 + n, "reason": "bench"});
        let stack = &stack;
        let key = shop.key.clone();
        async move { stack.post(&key, "/api/external/add-points", body).await.status }
    });
    let statuses: Vec<u16> = futures::stream::iter(adds).buffer_unordered(8).collect().await;
    assert!(statuses.iter().all(|s| *s == 200));
    let started = std::time::Instant::now();
    events.pump().await.unwrap();
    let took = started.elapsed().as_secs_f64();
    let delivered = stack.bus_events(&shop).await.len() - before;
    assert_eq!(delivered, count, "every change's event, once");
    println!("EVENTS throughput: {count} points.added events (each to the bus, Klaviyo, Flow and a metafield) in {took:.2} s: {:.0} events a second", count as f64 / took);

    // Delay: changes at a steady rate while the stream is polled every 50 ms.
    let delayed = (count / 2).max(20);
    let answered = std::sync::Mutex::new(std::collections::HashMap::new());
    let produce = async {
        for n in 0..delayed {
            let points = 100_000 + n as i64;
            let body = json!({"customerId": customers[0], "points": points, "reason": "bench"});
            assert_eq!(stack.post(&shop.key, "/api/external/add-points", body).await.status, 200);
            answered.lock().unwrap().insert(points, epoch_ms());
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let consume = async {
        let expected = before + count + delayed;
        for _ in 0..2000 {
            events.pump().await.unwrap();
            if stack.bus_events(&shop).await.len() >= expected {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("the events did not all arrive");
    };
    tokio::join!(produce, consume);
    let all = stack.control("GET", "/__emulator/eventbridge/events", Value::Null).await;
    let answered = answered.into_inner().unwrap();
    let mut delays: Vec<u128> = all
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| {
            let at = answered.get(&e["Detail"]["points"].as_i64()?)?;
            Some(e["ReceivedAtMs"].as_u64()? as u128 - at.min(&(e["ReceivedAtMs"].as_u64()? as u128)))
        })
        .collect();
    delays.sort();
    assert_eq!(delays.len(), delayed);
    let at = |q: f64| delays[((delays.len() as f64 * q) as usize).min(delays.len() - 1)];
    println!(
        "EVENTS delay from commit to the bus: p50 {} ms, p99 {} ms, max {} ms ({delayed} changes, each 20 ms after the last was answered; the stream polled every 50 ms)",
        at(0.5),
        at(0.99),
        delays[delays.len() - 1]
    );
}

#[tokio::test]
async fn a_removal_a_failed_reward_and_an_expired_one_are_events_too() {
    let (stack, shop, _) = setup("events-rest").await;
    let events = stack.events();
    let short = json!({"name": "$2 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 200, "discountValue": "2.00", "expiresAfterDays": 1});
    let rule = stack.rule(&shop, short).await;
    let remove = json!({"customerId": CUSTOMER, "points": 100, "reason": "correction"});
    assert_eq!(stack.post(&shop.key, "/api/external/remove-points", remove).await.status, 200);
    // Shopify down for the whole redemption: the reward fails and its points come back.
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0, "shop": shop.domain})).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    assert_eq!(stack.post(&shop.key, "/api/external/redeem-points", body.clone()).await.status, 503);
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    // A reward that ends unused.
    assert_eq!(stack.post(&shop.key, "/api/external/redeem-points", body).await.status, 200);
    tally_app::expire::expire(&stack.deps, Some(&shop.id), now() + time::Duration::days(2), None).await.unwrap();
    events.pump().await.unwrap();
    let bus = stack.bus_events(&shop).await;
    let named = names(&bus);
    for name in ["points.removed", "reward.failed", "reward.expired"] {
        assert_eq!(named.get(name), Some(&1), "{name}: {named:?}");
    }
    let failed = bus.iter().find(|e| e["name"] == "reward.failed").unwrap();
    assert_eq!(failed["reward"]["failureReason"], "SHOPIFY_UNAVAILABLE");
    let removed = bus.iter().find(|e| e["name"] == "points.removed").unwrap();
    assert_eq!((removed["points"].as_i64(), removed["balanceAfter"].as_i64()), (Some(-100), Some(1100)));
}
