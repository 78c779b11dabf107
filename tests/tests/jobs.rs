//! The scheduled jobs as AWS runs them: from their scheduled events, with or without shops, one run at a
//! time, each shop's failure its own, and a run out of time leaving the rest to the next.

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Context, LambdaEvent};
use serde_json::{json, Value};
use tally_app::expire::expire;
use tally_app::ports::store::Held;
use tally_app::ports::Store;
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

#[tokio::test]
async fn the_scheduled_events_run_with_no_shop_and_with_shops() {
    let stack = Stack::start().await;
    let expired = expire::handler(&stack.deps, scheduled(include_str!("../../events/expire.json"))).await.unwrap();
    assert_eq!((expired.shops, expired.errors, expired.skipped), (0, 0, false), "{expired:?}");
    let grace = Duration::from_secs(120);
    let reconciled =
        reconcile::handler(&stack.deps, grace, scheduled(include_str!("../../events/reconcile.json"))).await.unwrap();
    assert_eq!((reconciled.shops, reconciled.errors), (0, 0), "{reconciled:?}");

    shop_with_expiring_reward(&stack, "jobs-one").await;
    shop_with_expiring_reward(&stack, "jobs-two").await;
    let reconciled =
        reconcile::handler(&stack.deps, grace, scheduled(include_str!("../../events/reconcile.json"))).await.unwrap();
    assert_eq!((reconciled.shops, reconciled.pending, reconciled.errors), (2, 0, 0), "{reconciled:?}");
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
async fn runs_do_not_overlap_and_a_run_out_of_time_leaves_the_rest() {
    let stack = Stack::start().await;
    let shop = shop_with_expiring_reward(&stack, "jobs-overlap").await;
    let held = stack.store.lock_job("expire", "another run", now(), now() + time::Duration::minutes(5)).await.unwrap();
    assert_eq!(held, Held::Taken);
    let overlapping = expire(&stack.deps, Some(&shop.id), in_two_days(), None).await.unwrap();
    assert!(overlapping.skipped && overlapping.expired == 0, "{overlapping:?}");
    stack.store.unlock_job("expire", "another run").await.unwrap();

    let almost_over = Some(Instant::now() + Duration::from_secs(5));
    let cut_short = expire(&stack.deps, Some(&shop.id), in_two_days(), almost_over).await.unwrap();
    assert!(cut_short.unfinished && cut_short.expired == 0, "{cut_short:?}");
    let next = expire(&stack.deps, Some(&shop.id), in_two_days(), None).await.unwrap();
    assert_eq!((next.expired, next.unfinished), (1, false), "the next run picks up the rest: {next:?}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 100, "the reservation came back");
    stack.assert_audit_clean(&shop).await;
}
