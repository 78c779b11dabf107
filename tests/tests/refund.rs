//! `POST /api/external/rewards/{id}/refund`: an unused reward taken back, its code dead in Shopify and its
//! points returned exactly once; every other case refused with nothing changed.

use futures::future::join_all;
use serde_json::{json, Value};
use tally_domain::ledger::LedgerKind;
use tally_tests::{Reply, Stack, TestShop};

const CUSTOMER: u64 = 4242;
const OTHER: u64 = 4343;

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "$7 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 700, "discountValue": "7.00"});
    Stack::with_rule(name, rule, &[(CUSTOMER, 1000), (OTHER, 1000)]).await
}

/// Redeems for `customer` and returns the reward.
async fn redeem(stack: &Stack, shop: &TestShop, rule: u64, customer: u64, delayed: bool) -> Value {
    let body = json!({"customerId": customer, "redeemRuleId": rule, "delayPointsDeduction": delayed});
    let reply = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["reward"].clone()
}

async fn refund(stack: &Stack, shop: &TestShop, reward: &Value, body: Value) -> Reply {
    stack.post(&shop.key, &refund_path(reward), body).await
}

fn refund_path(reward: &Value) -> String {
    format!("/api/external/rewards/{}/refund", reward["id"])
}

async fn ledger_kinds(stack: &Stack, shop: &TestShop) -> Vec<LedgerKind> {
    stack.ledger(&shop.domain, CUSTOMER).await.iter().map(|e| e.kind).collect()
}

async fn discount_status(stack: &Stack, shop: &TestShop, reward: &Value) -> Value {
    let discounts = stack.discounts(shop).await;
    let discount = discounts.iter().find(|d| d["code"] == reward["discountCode"]).expect("the code is in Shopify");
    discount["status"].clone()
}

#[tokio::test]
async fn an_unused_reward_comes_back_once_and_its_code_stops_working() {
    let (stack, shop, rule) = setup("refund").await;
    let reward = redeem(&stack, &shop, rule, CUSTOMER, false).await;
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 300);

    // Ten refunds of the same reward at once: one wins, the others are told why not.
    let body = json!({"customerId": CUSTOMER, "reason": "changed their mind"});
    let replies = join_all((0..10).map(|_| refund(&stack, &shop, &reward, body.clone()))).await;
    let won: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(won.len(), 1, "{:#?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
    for lost in replies.iter().filter(|r| r.status != 200) {
        assert!(
            matches!(lost.code(), "REWARD_NOT_REFUNDABLE" | "TRY_AGAIN"),
            "a losing refund is refused: {:?}",
            lost.body
        );
    }
    let refunded = &won[0].body;
    assert_eq!(refunded["reward"]["status"], "REFUNDED");
    assert!(refunded["reward"]["refundedAt"].is_string());
    assert_eq!(refunded["reward"]["pointsReturned"], true);
    assert_eq!(refunded["availablePoints"], 1000, "the 700 points came back");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "once");
    assert_eq!(ledger_kinds(&stack, &shop).await, [LedgerKind::Credit, LedgerKind::Redeem, LedgerKind::RedeemReversed]);
    let entries = stack.ledger(&shop.domain, CUSTOMER).await;
    assert_eq!(entries.last().unwrap().reason, "changed their mind");

    assert_eq!(discount_status(&stack, &shop, &reward).await, "EXPIRED", "the code no longer works in Shopify");
    let order = json!({"codes": [reward["discountCode"]], "customerId": CUSTOMER});
    let refused = stack.http.post(format!("{}/__emulator/shops/{}/orders", stack.emulator, shop.domain));
    assert_eq!(refused.json(&order).send().await.unwrap().status(), 422, "a checkout cannot use it");

    let again = refund(&stack, &shop, &reward, body).await;
    assert_eq!((again.status, again.code()), (409, "REWARD_NOT_REFUNDABLE"));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000);
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_refunded_reservation_is_released() {
    let (stack, shop, rule) = setup("refund-reserved").await;
    let reward = redeem(&stack, &shop, rule, CUSTOMER, true).await;
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(300), Some(700)));

    let refunded = refund(&stack, &shop, &reward, json!({"customerEmail": format!("c{CUSTOMER}@example.com")})).await;
    assert_eq!(refunded.status, 200, "{:?}", refunded.body);
    assert_eq!(
        (refunded.body["availablePoints"].as_i64(), refunded.body["reservedPoints"].as_i64()),
        (Some(1000), Some(0))
    );
    assert_eq!(refunded.body["spentPoints"], 0, "nothing was ever spent");
    assert_eq!(
        ledger_kinds(&stack, &shop).await,
        [LedgerKind::Credit, LedgerKind::Reserve, LedgerKind::ReservationReleased]
    );
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_retry_with_the_same_key_returns_the_first_answer() {
    let (stack, shop, rule) = setup("refund-key").await;
    let reward = redeem(&stack, &shop, rule, CUSTOMER, false).await;
    let body = json!({"customerId": CUSTOMER});
    let first = stack.post_once(&shop.key, "refund-1", &refund_path(&reward), body.clone()).await;
    let second = stack.post_once(&shop.key, "refund-1", &refund_path(&reward), body).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!((second.status, &second.body), (first.status, &first.body), "the same answer, not a 409");
    assert_eq!(ledger_kinds(&stack, &shop).await.len(), 3, "one refund");
    let reused = stack.post_once(&shop.key, "refund-1", &refund_path(&reward), json!({"customerId": OTHER})).await;
    assert_eq!((reused.status, reused.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
}

#[tokio::test]
async fn what_cannot_be_refunded_is_refused_and_changes_nothing() {
    let (stack, shop, rule) = setup("refund-refused").await;
    let reward = redeem(&stack, &shop, rule, CUSTOMER, false).await;
    let used = redeem(&stack, &shop, rule, OTHER, false).await;
    let order = json!({"codes": [used["discountCode"]], "customerId": OTHER});
    stack.control("POST", &format!("/__emulator/shops/{}/orders", shop.domain), order).await;
    let stranger = stack.shop("refund-stranger").await;
    let mine = json!({"customerId": CUSTOMER});
    let missing = json!({"id": 123456789});

    let cases: Vec<(String, &TestShop, Value, u16, &str)> = vec![
        (refund_path(&missing), &shop, mine.clone(), 404, "REWARD_NOT_FOUND"),
        (refund_path(&reward), &shop, json!({"customerId": OTHER}), 404, "REWARD_NOT_FOUND"),
        (refund_path(&used), &shop, json!({"customerId": OTHER}), 409, "REWARD_NOT_REFUNDABLE"),
        (refund_path(&reward), &stranger, mine.clone(), 404, "CUSTOMER_NOT_FOUND"),
        ("/api/external/rewards/abc/refund".into(), &shop, mine.clone(), 400, "INVALID_REQUEST"),
        (refund_path(&reward), &shop, json!({}), 400, "INVALID_REQUEST"),
        (refund_path(&reward), &shop, json!({"customerId": CUSTOMER, "points": 5}), 400, "INVALID_REQUEST"),
        (
            refund_path(&reward),
            &shop,
            json!({"customerId": CUSTOMER, "reason": "x".repeat(501)}),
            400,
            "INVALID_REQUEST",
        ),
    ];
    for (path, who, body, status, code) in cases {
        let reply = stack.post(&who.key, &path, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{path} {body}: {:?}", reply.body);
    }
    let reply = stack.post("tly_nobody", &refund_path(&reward), mine.clone()).await;
    assert_eq!((reply.status, reply.code()), (401, "UNAUTHORIZED"));

    // Shopify cannot deactivate the code: nothing changes, and the code keeps working.
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0})).await;
    let reply = refund(&stack, &shop, &reward, mine.clone()).await;
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    assert_eq!((reply.status, reply.code()), (503, "SHOPIFY_UNAVAILABLE"), "{:?}", reply.body);

    assert_eq!(stack.balance(&shop, CUSTOMER).await, 300, "no refused request gave points back");
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["status"], "UNUSED");
    assert_eq!(discount_status(&stack, &shop, &reward).await, "ACTIVE");
    assert_eq!(ledger_kinds(&stack, &shop).await, [LedgerKind::Credit, LedgerKind::Redeem]);
    stack.assert_audit_clean(&shop).await;
}
