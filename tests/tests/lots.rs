//! Point lots over HTTP: points added with `expiresAt` are spent soonest-expiring first, the loyalty
//! information shows the next expiry, points given back return to the lot they came from, and the expiry
//! job removes expired points exactly once, even when two runs meet.

use futures::future::join_all;
use serde_json::{json, Value};
use tally_app::expire::{expire, expire_lots};
use tally_app::ports::Store;
use tally_domain::ledger::LedgerKind;
use tally_domain::Time;
use tally_tests::{Stack, TestShop};
use time::format_description::well_known::Rfc3339;
use time::Duration;

const CUSTOMER: u64 = 9090;

fn at(when: Time) -> String {
    when.format(&Rfc3339).unwrap()
}

async fn add(stack: &Stack, shop: &TestShop, points: i64, expires_at: Option<Time>) -> tally_tests::Reply {
    let mut body = json!({"customerId": CUSTOMER, "points": points, "reason": "purchase"});
    if let Some(when) = expires_at {
        body["expiresAt"] = json!(at(when));
    }
    stack.post(&shop.key, "/api/external/add-points", body).await
}

fn expiring(loyalty: &Value) -> (i64, Option<String>) {
    (loyalty["expiringPointsAmount"].as_i64().unwrap(), loyalty["pointsExpireAt"].as_str().map(str::to_string))
}

#[tokio::test]
async fn points_are_spent_soonest_expiring_first_and_come_back_to_their_lot() {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": 5});
    let (stack, shop, rule) = Stack::with_rule("lots", rule, &[(CUSTOMER, 0)]).await;
    let now = tally_tests::now();
    let (soon, later) = (now + Duration::days(10), now + Duration::days(40));
    assert_eq!(add(&stack, &shop, 100, None).await.status, 200, "never expires");
    assert_eq!(add(&stack, &shop, 300, Some(later)).await.status, 200);
    let added = add(&stack, &shop, 400, Some(soon)).await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert_eq!(expiring(&added.body), (400, Some(at(soon))), "the soonest lot is the next to expire");

    let redeem = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": true});
    let reserved = stack.post(&shop.key, "/api/external/redeem-points", redeem).await;
    assert_eq!(reserved.status, 200, "{}", reserved.text);
    assert_eq!(reserved.body["availablePoints"], 300);
    assert_eq!(expiring(&reserved.body), (200, Some(at(later))), "400 from the soonest lot, 100 from the next");

    let reward_id = reserved.body["reward"]["id"].as_u64().unwrap();
    let refund = json!({"customerId": CUSTOMER});
    let refunded = stack.post(&shop.key, &format!("/api/external/rewards/{reward_id}/refund"), refund).await;
    assert_eq!(refunded.status, 200, "{}", refunded.text);
    assert_eq!(refunded.body["availablePoints"], 800);
    assert_eq!(
        expiring(&refunded.body),
        (400, Some(at(soon))),
        "the points went back to their lots, with their expiry"
    );

    // An immediate redemption takes from the same lot; a removal too; neither touches the lot without expiry
    // while a dated one remains.
    let redeem = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let redeemed = stack.post(&shop.key, "/api/external/redeem-points", redeem).await;
    assert_eq!(expiring(&redeemed.body), (200, Some(at(later))), "{}", redeemed.text);
    let remove = json!({"customerId": CUSTOMER, "points": 200, "reason": "correction"});
    let removed = stack.post(&shop.key, "/api/external/remove-points", remove).await;
    assert_eq!((removed.body["availablePoints"].as_i64(), expiring(&removed.body)), (Some(100), (0, None)));

    // expiresAt in the past, unreadable, or on a removal: refused, nothing changed.
    for (path, body) in [
        (
            "add-points",
            json!({"customerId": CUSTOMER, "points": 5, "reason": "r", "expiresAt": at(now - Duration::days(1))}),
        ),
        ("add-points", json!({"customerId": CUSTOMER, "points": 5, "reason": "r", "expiresAt": "next week"})),
        ("remove-points", json!({"customerId": CUSTOMER, "points": 5, "reason": "r", "expiresAt": at(soon)})),
    ] {
        let refused = stack.post(&shop.key, &format!("/api/external/{path}"), body).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{}", refused.text);
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 100);
}

#[tokio::test]
async fn expired_points_leave_exactly_once_under_two_concurrent_runs() {
    let rule = json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 1});
    let (stack, shop, rule) = Stack::with_rule("lots-expire", rule, &[(CUSTOMER, 50)]).await;
    let now = tally_tests::now();
    assert_eq!(add(&stack, &shop, 300, Some(now + Duration::days(1))).await.status, 200);
    assert_eq!(add(&stack, &shop, 200, Some(now + Duration::days(5))).await.status, 200);
    let (day, in_two_days) = ((now + Duration::days(1)).date(), now + Duration::days(2));

    // Two expiries of the first lot and a redemption, all at once: whichever wins, the lot leaves once.
    let table = stack.store.shop(&shop.id);
    let expiries = join_all((0..2).map(|_| expire_lots(&table, tally_tests::customer(CUSTOMER), day, in_two_days)));
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let (expiries, redeemed) = tokio::join!(expiries, stack.post(&shop.key, "/api/external/redeem-points", body));
    assert_eq!(redeemed.status, 200, "{}", redeemed.text);
    let expired: i64 = expiries.into_iter().map(Result::unwrap).sum();
    assert!(expired == 300 || expired == 299, "the lot, less the point redeemed if it went first: {expired}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 550 - 1 - expired);
    let ledger = stack.ledger(&shop.domain, CUSTOMER).await;
    let entries: Vec<_> = ledger.iter().filter(|e| e.kind == LedgerKind::PointsExpired).map(|e| e.delta).collect();
    assert_eq!(entries, [-expired], "one entry, once");
    let activity =
        stack.get(&shop.key, &format!("/api/external/customer-activity?customerId={CUSTOMER}&limit=2")).await;
    let kinds: Vec<_> = activity.body["entries"].as_array().unwrap().iter().map(|e| e["kind"].clone()).collect();
    assert!(kinds.contains(&json!("POINTS_EXPIRED")), "{}", activity.text);

    // Two runs of the job at once, past the second lot's day: the rest of the dated points go, once.
    let runs = join_all((0..2).map(|_| expire(&stack.deps, Some(&shop.id), now + Duration::days(6), None))).await;
    let runs: Vec<_> = runs.into_iter().map(Result::unwrap).collect();
    let points: i64 = runs.iter().map(|r| r.points_expired).sum();
    assert_eq!(points, 499 - expired, "{runs:?}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 50, "the points without expiry stay");
    let again = expire(&stack.deps, Some(&shop.id), now + Duration::days(6), None).await.unwrap();
    assert_eq!((again.points_expired, again.customers_with_points_expired), (0, 0), "nothing twice");
    let ledger = stack.ledger(&shop.domain, CUSTOMER).await;
    assert_eq!(ledger.iter().filter(|e| e.kind == LedgerKind::PointsExpired).count(), 2, "one entry a lot");
    stack.assert_audit_clean(&shop).await;
}
