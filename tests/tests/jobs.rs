//! The scheduled jobs as AWS runs them: from their scheduled events, with or without shops, one run at a
//! time, each shop's failure its own, and a run out of time leaving the rest to the next.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Context, LambdaEvent};
use serde_json::{json, Value};
use tally_app::expire::{expire, expire_slice};
use tally_app::ports::store::{Held, Listings};
use tally_app::ports::Store;
use tally_app::reconcile::reconcile;
use tally_tests::now;
use tally_tests::{dynamodb_endpoint, Stack, TestShop};

const CUSTOMER: u64 = 3030;

fn scheduled(event: &str) -> LambdaEvent<Value> {
    let mut context = Context::default();
    let deadline = SystemTime::now() + Duration::from_secs(300);
    context.deadline = deadline.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
    LambdaEvent::new(serde_json::from_str(event).unwrap(), context)
}

/// A shop with one reward that ends tomorrow.
async fn shop_with_expiring_reward(stack: &Stack, name: &str) -> TestShop {
    let shop = stack.shop(name).await;
    let rule = stack
        .rule(&shop, json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "1.00", "expiresAfterDays": 1}))
        .await;
    stack.customer(&shop, CUSTOMER, 100).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": true});
    assert_eq!(stack.post(&shop.key, "/api/external/redeem-points", body).await.status, 200);
    shop
}

fn in_two_days() -> tally_domain::Time {
    now() + time::Duration::days(2)
}

fn step(body: Value) -> LambdaEvent<Value> {
    scheduled(&body.to_string())
}

#[tokio::test]
async fn the_state_machine_plans_a_run_and_slices_each_shop() {
    let stack = Stack::start().await;
    let expired = expire::handler(&stack.deps, scheduled(include_str!("../../events/expire.json"))).await.unwrap();
    let expired = serde_json::to_value(expired).unwrap();
    assert_eq!((expired["shops"].as_u64(), expired["errors"].as_u64()), (Some(0), Some(0)), "{expired}");
    let grace = Duration::from_secs(120);
    let reconciled =
        reconcile::handler(&stack.deps, grace, scheduled(include_str!("../../events/reconcile.json"))).await.unwrap();
    assert_eq!(serde_json::to_value(reconciled).unwrap()["shops"], 0);

    let one = shop_with_expiring_reward(&stack, "jobs-one").await;
    let two = shop_with_expiring_reward(&stack, "jobs-two").await;
    // What the state machine does: the plan, then each shop's slices until one says it is done.
    let planned = expire::handler(&stack.deps, step(json!({"step": "plan"}))).await.unwrap();
    let planned = serde_json::to_value(planned).unwrap();
    let mut shops: Vec<String> =
        planned["shops"].as_array().unwrap().iter().map(|s| s["shop"].as_str().unwrap().to_string()).collect();
    shops.sort();
    assert_eq!(shops, vec![one.domain.clone(), two.domain.clone()], "{planned}");
    assert_eq!(planned["shops"][0]["cursor"], Value::Null, "each shop starts at the beginning");
    for shop in &shops {
        let sliced =
            reconcile::handler(&stack.deps, grace, step(json!({"step": "slice", "shop": shop, "cursor": null})));
        let sliced = serde_json::to_value(sliced.await.unwrap()).unwrap();
        assert_eq!((&sliced["shop"], &sliced["done"], &sliced["cursor"]), (&json!(shop), &json!(true), &Value::Null));
        assert_eq!(sliced["report"]["pending"], 0, "{sliced}");
    }
    // The expiry, two days later: each shop's reward ends in its own slice.
    let clock = std::sync::Arc::new(tally_app::ports::clock::SimClock::at(in_two_days()));
    let d = &stack.deps;
    let at_expiry = tally_app::Deps::with(d.store.clone(), d.shopify.clone(), clock, d.random.clone());
    for shop in &shops {
        let sliced = expire::handler(&at_expiry, step(json!({"step": "slice", "shop": shop}))).await.unwrap();
        let sliced = serde_json::to_value(sliced).unwrap();
        assert_eq!((&sliced["done"], &sliced["report"]["expired"]), (&json!(true), &json!(1)), "{sliced}");
    }
    assert_eq!(stack.loyalty(&one, CUSTOMER).await["rewards"][0]["status"], "EXPIRED");
    // A slice must name its shop; a plan for a shop Tally does not have is an error, not an empty run.
    assert!(expire::handler(&stack.deps, step(json!({"step": "slice"}))).await.is_err());
    assert!(expire::handler(&stack.deps, step(json!({"step": "plan", "shop": "nobody.myshopify.com"}))).await.is_err());
    assert!(expire::handler(&stack.deps, step(json!({"step": "everything"}))).await.is_err());
}

#[tokio::test]
async fn one_shops_failure_stops_no_other_shop() {
    let stack = Stack::start().await;
    let broken = shop_with_expiring_reward(&stack, "jobs-broken").await;
    let healthy = shop_with_expiring_reward(&stack, "jobs-healthy").await;
    // An item in the broken shop's expiry listing that is no reward at all.
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    let item = [
        ("PK", "GARBAGE".to_string()),
        ("SK", "GARBAGE".to_string()),
        ("GSI1PK", format!("SHOP#{}", broken.domain)),
        ("GSI1SK", "EXPIRES#2000-01-01T00:00:00Z#1".to_string()),
    ]
    .map(|(k, v)| (k.to_string(), AttributeValue::S(v)));
    client.put_item().table_name(stack.store.table()).set_item(Some(item.into())).send().await.unwrap();

    let report = expire(&stack.deps, None, in_two_days(), None).await.unwrap();
    assert_eq!((report.shops, report.expired, report.errors), (2, 1, 1), "{report:?}");
    assert_eq!(stack.loyalty(&healthy, CUSTOMER).await["rewards"][0]["status"], "EXPIRED");
    assert_eq!(stack.loyalty(&broken, CUSTOMER).await["rewards"][0]["status"], "UNUSED");
}

#[tokio::test]
async fn runs_do_not_overlap_on_a_shop_and_a_slice_out_of_time_leaves_a_cursor() {
    let stack = Stack::start().await;
    let shop = shop_with_expiring_reward(&stack, "jobs-overlap").await;
    let other = shop_with_expiring_reward(&stack, "jobs-overlap-other").await;
    let lock = format!("expire#{}", shop.domain);
    let held = stack.store.lock_job(&lock, "another run", now(), now() + time::Duration::minutes(5)).await.unwrap();
    assert_eq!(held, Held::Taken);
    let overlapping = expire(&stack.deps, None, in_two_days(), None).await.unwrap();
    assert_eq!((overlapping.skipped, overlapping.expired), (1, 1), "the other shop is not held up: {overlapping:?}");
    assert_eq!(stack.loyalty(&other, CUSTOMER).await["rewards"][0]["status"], "EXPIRED");
    stack.store.unlock_job(&lock, "another run").await.unwrap();

    let almost_over = Some(Instant::now() + Duration::from_secs(5));
    let cut_short = expire_slice(&stack.deps, &shop.id, in_two_days(), None, almost_over).await.unwrap();
    assert_eq!((cut_short.report.unfinished, cut_short.report.expired), (1, 0), "{cut_short:?}");
    assert!(cut_short.next.is_some(), "the slice says where the next begins");
    let next = expire_slice(&stack.deps, &shop.id, in_two_days(), cut_short.next, None).await.unwrap();
    assert_eq!((next.report.expired, next.next.clone()), (1, None), "the next slice picks up the rest: {next:?}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 100, "the reservation came back");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_shop_shopify_throttles_is_put_off_and_holds_up_no_other() {
    let stack = Stack::start().await;
    let throttled = shop_with_expiring_reward(&stack, "jobs-throttled").await;
    let healthy = shop_with_expiring_reward(&stack, "jobs-unthrottled").await;
    stack
        .control("POST", "/__emulator/faults", json!({"mode": "throttle", "rate": 1.0, "shop": throttled.domain}))
        .await;
    let first = expire(&stack.deps, None, in_two_days(), None).await.unwrap();
    assert_eq!((first.expired, first.still_active, first.put_off), (1, 1, 1), "{first:?}");
    assert_eq!(stack.loyalty(&healthy, CUSTOMER).await["rewards"][0]["status"], "EXPIRED");
    // Put off: the next run an hour later does not ask Shopify about it again.
    let soon = expire(&stack.deps, None, in_two_days() + time::Duration::minutes(30), None).await.unwrap();
    assert_eq!((soon.expired, soon.still_active), (0, 0), "{soon:?}");
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let later = expire(&stack.deps, None, in_two_days() + time::Duration::hours(2), None).await.unwrap();
    assert_eq!((later.expired, later.put_off), (1, 0), "{later:?}");
    assert_eq!(stack.loyalty(&throttled, CUSTOMER).await["rewards"][0]["status"], "EXPIRED");
    stack.assert_audit_clean(&throttled).await;
}

#[tokio::test]
async fn a_code_used_whose_order_never_came_is_settled_with_the_order_shopify_names() {
    let stack = Stack::start().await;
    let shop = shop_with_expiring_reward(&stack, "jobs-lost-order").await;
    let code = stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["discountCode"].as_str().unwrap().to_string();
    // The order uses the code, and its webhook is lost.
    let placed = stack.order(&shop, json!({"codes": [code], "customerId": CUSTOMER, "webhooksLost": true})).await;
    let report = expire(&stack.deps, None, in_two_days(), None).await.unwrap();
    assert_eq!((report.settled_by_order, report.expired, report.put_off), (1, 0, 0), "{report:?}");
    let reward = &stack.loyalty(&shop, CUSTOMER).await["rewards"][0];
    assert_eq!((&reward["status"], &reward["orderName"]), (&json!("USED"), &placed["order"]["name"]), "{reward}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 0, "the reservation was paid by the order");
    stack.assert_audit_clean(&shop).await;
}

/// A redemption lists its reward only in the journal, on the ledger entry that paid for it (so that its
/// outcome rewrites no index entry); reconciliation lists it where it stands, in its shard by reward. One
/// listed where listings were kept before (the shop's own index partition) is still found, then moved into
/// its shard by its next change.
#[tokio::test]
async fn listings_are_spread_over_shards_and_the_old_partition_is_still_read() {
    let stack = Stack::start().await;
    let shop = shop_with_expiring_reward(&stack, "jobs-shards").await;
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    let indexed = |prefix: &'static str| {
        let client = client.clone();
        let table = stack.store.table().to_string();
        async move {
            let scan = client.scan().table_name(table).filter_expression("begins_with(GSI1PK, :shop)");
            let scan = scan.expression_attribute_values(":shop", AttributeValue::S(prefix.into()));
            scan.send().await.unwrap().items.unwrap_or_default()
        }
    };
    let in_index = indexed("SHOP#").await;
    let [entry] = in_index.as_slice() else { panic!("one index entry after the redemption: {in_index:?}") };
    let id: u64 = entry["rewardId"].as_n().unwrap().parse().unwrap();
    assert!(entry["SK"].as_s().unwrap().starts_with("LEDGER#"), "the ledger entry that paid: {entry:?}");
    assert_eq!(entry["GSI1PK"].as_s().unwrap(), &format!("SHOP#{}#JOURNAL#{:02}", shop.domain, id % 16));
    let report = reconcile(&stack.deps, Some(&shop.id), Duration::ZERO, now(), None).await.unwrap();
    assert_eq!((report.pending, report.errors), (0, 0), "{report:?}");
    let listed: Vec<_> =
        indexed("SHOP#").await.into_iter().filter(|item| item["SK"].as_s().unwrap().starts_with("REWARD#")).collect();
    let [reward] = listed.as_slice() else { panic!("one reward listed: {listed:?}") };
    assert!(reward["GSI1SK"].as_s().unwrap().starts_with("EXPIRES#"), "by its end: {reward:?}");
    let partition = reward["GSI1PK"].as_s().unwrap().clone();
    assert_eq!(partition, format!("SHOP#{}#LISTED#{:02}", shop.domain, id % 16), "listed in its shard");
    let mark = stack.store.shop(&shop.id).journal_read_to().await.unwrap().expect("the journal marked read");
    let minute = time::Duration::minutes(1);
    assert!(mark <= now() - minute && mark > now() - minute * 2, "read to a minute ago, no closer: {mark}");
    // Listed as before shards: in the shop's own partition.
    client
        .update_item()
        .table_name(stack.store.table())
        .key("PK", reward["PK"].clone())
        .key("SK", reward["SK"].clone())
        .update_expression("SET GSI1PK = :old")
        .expression_attribute_values(":old", AttributeValue::S(format!("SHOP#{}", shop.domain)))
        .send()
        .await
        .unwrap();
    let report = expire(&stack.deps, Some(&shop.id), in_two_days(), None).await.unwrap();
    assert_eq!((report.expired, report.errors), (1, 0), "{report:?}");
    let reward = stack.reward_record(&shop.domain, CUSTOMER, id).await.unwrap();
    assert_eq!(reward.status(), tally_domain::reward::RewardStatus::Expired);
}

/// A customer's lot listing kept where listings were before they were spread is still read by the expiry,
/// and deleted with the lot it lists, as the sharded one is.
#[tokio::test]
async fn a_lot_listing_in_the_old_partition_is_read_and_deleted() {
    let stack = Stack::start().await;
    let shop = stack.shop("jobs-old-lots").await;
    stack.customer(&shop, CUSTOMER, 0).await;
    let tomorrow = tally_domain::rfc3339(now() + time::Duration::days(1));
    let grant = json!({"customerId": CUSTOMER, "points": 70, "reason": "promo", "expiresAt": tomorrow});
    assert_eq!(stack.post(&shop.key, "/api/external/add-points", grant).await.status, 200);
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    let lot_listings = || async {
        let scan = client
            .scan()
            .table_name(stack.store.table())
            .filter_expression("begins_with(SK, :lots)")
            .expression_attribute_values(":lots", AttributeValue::S("LOTS#".into()))
            .send()
            .await
            .unwrap();
        scan.items.unwrap_or_default()
    };
    let [listing] = lot_listings().await.try_into().expect("one lot listing");
    assert_eq!(listing["PK"].as_s().unwrap(), &format!("SHOP#{}#LOTS#{:02}", shop.domain, CUSTOMER % 16));
    // As it was kept before listings were spread.
    let mut old = listing.clone();
    old.insert("PK".into(), AttributeValue::S(format!("SHOP#{}#LOTS", shop.domain)));
    client.put_item().table_name(stack.store.table()).set_item(Some(old)).send().await.unwrap();
    let (pk, sk) = (listing["PK"].clone(), listing["SK"].clone());
    client.delete_item().table_name(stack.store.table()).key("PK", pk).key("SK", sk).send().await.unwrap();
    let report = expire(&stack.deps, Some(&shop.id), in_two_days(), None).await.unwrap();
    assert_eq!((report.points_expired, report.errors), (70, 0), "{report:?}");
    assert!(lot_listings().await.is_empty(), "the old listing went with its lot");
}

/// A reward the journal's walk cannot read costs its partition this run, is counted, and keeps the mark
/// where it was; the other partitions' rewards are listed all the same.
#[tokio::test]
async fn a_journal_page_that_cannot_be_read_is_counted_and_keeps_the_mark() {
    let stack = Stack::start().await;
    let shop = stack.shop("jobs-journal-unread").await;
    let rule = json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "1.00", "expiresAfterDays": 1});
    let rule = stack.rule(&shop, rule).await;
    stack.customer(&shop, CUSTOMER, 600).await;
    for _ in 0..6 {
        let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
        assert_eq!(stack.post(&shop.key, "/api/external/redeem-points", body).await.status, 200);
    }
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    let rewards = || async {
        let scan = client.scan().table_name(stack.store.table()).filter_expression("begins_with(SK, :reward)");
        let scan = scan.expression_attribute_values(":reward", AttributeValue::S("REWARD#".into()));
        scan.send().await.unwrap().items.unwrap_or_default()
    };
    let all = rewards().await;
    assert_eq!(all.len(), 6);
    let shard = |item: &std::collections::HashMap<String, AttributeValue>| {
        item["id"].as_n().unwrap().parse::<u64>().unwrap() % 16
    };
    let bad = &all[0];
    client
        .update_item()
        .table_name(stack.store.table())
        .key("PK", bad["PK"].clone())
        .key("SK", bad["SK"].clone())
        .update_expression("SET #status = :bogus")
        .expression_attribute_names("#status", "status")
        .expression_attribute_values(":bogus", AttributeValue::S("BOGUS".into()))
        .send()
        .await
        .unwrap();
    let report = reconcile(&stack.deps, Some(&shop.id), Duration::ZERO, now(), None).await.unwrap();
    assert_eq!(report.errors, 1, "{report:?}");
    assert_eq!(stack.store.shop(&shop.id).journal_read_to().await.unwrap(), None, "the mark stays");
    for reward in rewards().await {
        let listed = reward.contains_key("GSI1PK");
        assert_eq!(listed, shard(&reward) != shard(bad), "listed unless in the unread partition: {reward:?}");
    }
}
