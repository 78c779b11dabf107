//! What a real shop's orders would break: a code used while its refund or its expiry runs, a discount
//! deleted in Shopify's admin, a refund that stops halfway.

use std::time::Duration;

use serde_json::{json, Value};
use tally_app::ports::store::Writes;
use tally_app::ports::{Committed, RewardWrite, Store, Write};
use tally_domain::ledger::LedgerKind;
use tally_tests::server::Server;
use tally_tests::{Reply, Stack, TestShop};

const CUSTOMER: u64 = 5150;

async fn setup(name: &str, expires_after_days: Option<u32>) -> (Stack, TestShop, u64) {
    let mut rule = json!({"name": "$6 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 600, "discountValue": "6.00"});
    if let Some(days) = expires_after_days {
        rule["expiresAfterDays"] = json!(days);
    }
    Stack::with_rule(name, rule, &[(CUSTOMER, 1000)]).await
}

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64, delayed: bool) -> Value {
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": delayed});
    let reply = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(reply.status, 200, "{:?}", reply.body);
    reply.body["reward"].clone()
}

async fn refund(stack: &Stack, shop: &TestShop, reward: &Value) -> Reply {
    let path = format!("/api/external/rewards/{}/refund", reward["id"]);
    stack.post(&shop.key, &path, json!({"customerId": CUSTOMER})).await
}

async fn ledger_kinds(stack: &Stack, shop: &TestShop) -> Vec<LedgerKind> {
    stack.ledger(&shop.domain, CUSTOMER).await.iter().map(|e| e.kind).collect()
}

/// Places an order with the code in the background; its webhook arrives after `delay_ms`. Returns once
/// Shopify counts the use.
async fn order_in_flight(stack: &Stack, shop: &TestShop, code: &str, delay_ms: u64) -> tokio::task::JoinHandle<Value> {
    let (http, url) = (stack.http.clone(), format!("{}/__emulator/shops/{}/orders", stack.emulator, shop.domain));
    let body = json!({"codes": [code], "customerId": CUSTOMER, "delayMs": delay_ms});
    let placed = tokio::spawn(async move { http.post(url).json(&body).send().await.unwrap().json().await.unwrap() });
    for _ in 0..100 {
        if stack.discounts(shop).await.iter().any(|d| d["code"] == code && d["used"] == 1) {
            return placed;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the emulator never counted the order");
}

/// The orders/create body of an order that used `codes`.
fn order_body(id: u64, codes: &[&str]) -> Value {
    let used: Vec<Value> = codes.iter().map(|c| json!({"code": c, "amount": "6.00", "type": "fixed_amount"})).collect();
    json!({"id": id, "name": format!("#{id}"), "customer": {"id": CUSTOMER}, "discount_codes": used})
}

#[tokio::test]
async fn a_code_used_before_its_webhook_arrives_cannot_be_refunded() {
    let (stack, shop, rule) = setup("used-refund", None).await;
    let reward = redeem(&stack, &shop, rule, true).await;
    let placed = order_in_flight(&stack, &shop, reward["discountCode"].as_str().unwrap(), 1500).await;
    let refused = refund(&stack, &shop, &reward).await;
    assert_eq!((refused.status, refused.code()), (409, "REWARD_NOT_REFUNDABLE"), "{:?}", refused.body);
    assert!(refused.body["error"]["detail"].as_str().unwrap().contains("used its code"));

    assert!(placed.await.unwrap()["deliveries"][0]["status"] == 200, "the late webhook is handled");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["rewards"][0]["status"], "USED");
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(400), Some(0)));
    assert_eq!(ledger_kinds(&stack, &shop).await.last(), Some(&LedgerKind::ReservationSpent), "the order paid");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_code_used_before_its_webhook_arrives_is_settled_by_expiry_with_the_order_shopify_names() {
    let (stack, shop, rule) = setup("used-expire", Some(1)).await;
    let reward = redeem(&stack, &shop, rule, true).await;
    let placed = order_in_flight(&stack, &shop, reward["discountCode"].as_str().unwrap(), 1500).await;
    let later = tally_tests::now() + time::Duration::days(2);
    let report = tally_app::expire::expire(&stack.deps, Some(&shop.id), later, None).await.unwrap();
    assert_eq!((report.expired, report.settled_by_order), (0, 1), "{report:?}");
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["status"], "USED");

    assert_eq!(placed.await.unwrap()["deliveries"][0]["status"], 200, "the late webhook changes nothing more");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["rewards"][0]["status"], "USED");
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(400), Some(0)));
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn an_order_that_slips_in_after_a_refund_still_pays_and_the_audit_says_so() {
    let (stack, shop, rule) = setup("late-order", None).await;
    let reward = redeem(&stack, &shop, rule, true).await;
    let code = reward["discountCode"].as_str().unwrap().to_string();
    assert_eq!(refund(&stack, &shop, &reward).await.status, 200);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "the reservation came back");

    // The order used the code in the instant before its deactivation; its webhook comes now.
    let (status, body) = stack.webhook(&stack.api, &shop, "orders/create", "late-1", &order_body(77, &[&code])).await;
    assert_eq!((status, body["rewardsUsed"].as_i64()), (200, Some(1)), "{body}");
    let (again, _) = stack.webhook(&stack.api, &shop, "orders/create", "late-2", &order_body(77, &[&code])).await;
    assert_eq!(again, 200);
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(
        (loyalty["rewards"][0]["status"].as_str(), loyalty["rewards"][0]["orderId"].as_u64()),
        (Some("USED"), Some(77))
    );
    assert_eq!(loyalty["availablePoints"], 400, "the reward's points were taken again, once");
    let kinds = ledger_kinds(&stack, &shop).await;
    assert_eq!(kinds[1..], [LedgerKind::Reserve, LedgerKind::ReservationReleased, LedgerKind::LateUse]);
    let report = stack.assert_audit_clean(&shop).await;
    assert!(
        report.notes.iter().any(|n| n.contains("after its points had been returned; 600 of its 600")),
        "{:?}",
        report.notes
    );
}

#[tokio::test]
async fn a_late_order_takes_what_the_balance_still_has_and_the_audit_names_the_rest() {
    let (stack, shop, rule) = setup("late-short", None).await;
    let reward = redeem(&stack, &shop, rule, false).await;
    let code = reward["discountCode"].as_str().unwrap().to_string();
    assert_eq!(refund(&stack, &shop, &reward).await.status, 200);
    let spend = json!({"customerId": CUSTOMER, "points": 800, "reason": "spent elsewhere"});
    assert_eq!(stack.post(&shop.key, "/api/external/remove-points", spend).await.status, 200);

    let (status, _) = stack.webhook(&stack.api, &shop, "orders/create", "short-1", &order_body(78, &[&code])).await;
    assert_eq!(status, 200);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 0, "never below zero");
    let report = stack.assert_audit_clean(&shop).await;
    assert!(
        report.notes.iter().any(|n| n.contains("200 of its 600 points were taken again; the customer kept 400")),
        "{:?}",
        report.notes
    );
}

#[tokio::test]
async fn a_discount_deleted_in_shopify_ends_its_reward_like_a_deactivated_one() {
    let (stack, shop, rule) = setup("deleted", Some(1)).await;
    stack
        .post(&shop.key, "/api/external/add-points", json!({"customerId": CUSTOMER, "points": 200, "reason": "top up"}))
        .await;
    let refunded = redeem(&stack, &shop, rule, false).await;
    let expiring = redeem(&stack, &shop, rule, true).await;
    let delete =
        "mutation Delete($id: ID!) { discountCodeDelete(id: $id) { deletedCodeDiscountId userErrors { message } } }";
    for reward in [&refunded, &expiring] {
        let deleted = stack.shopify(&shop, delete, json!({"id": reward["discountCodeId"]})).await;
        assert_eq!(deleted["data"]["discountCodeDelete"]["deletedCodeDiscountId"], reward["discountCodeId"]);
    }

    let reply = refund(&stack, &shop, &refunded).await;
    assert_eq!((reply.status, &reply.body["reward"]["status"]), (200, &json!("REFUNDED")), "{:?}", reply.body);
    let later = tally_tests::now() + time::Duration::days(2);
    let report = tally_app::expire::expire(&stack.deps, Some(&shop.id), later, None).await.unwrap();
    assert_eq!((report.expired, report.still_active), (1, 0), "{report:?}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1200, "both rewards' points came back");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_refund_that_stops_after_shopify_is_found_by_the_audit_and_finished_by_reconcile() {
    let (stack, shop, rule) = setup("refund-halfway", None).await;
    let reward = redeem(&stack, &shop, rule, false).await;
    let server = Server::crashing_at(&stack, "refund-after-shopify").await;
    let path = format!("{}/api/external/rewards/{}/refund", server.url, reward["id"]);
    let sent = stack.http.post(path).header("X-API-Key", &shop.key).json(&json!({"customerId": CUSTOMER})).send().await;
    assert!(sent.is_err(), "the server died before answering");
    server.assert_crashed("refund-after-shopify");

    let report = tally_app::audit::audit(&stack.deps, &shop.id).await.unwrap();
    assert!(report.problems.iter().any(|p| p.contains("stopped halfway")), "{:?}", report.problems);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 400, "nothing came back yet");

    let reconciled = stack.reconcile(&shop).await;
    assert_eq!(reconciled.refunds_finished, 1, "{reconciled:?}");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(
        (loyalty["availablePoints"].as_i64(), loyalty["rewards"][0]["status"].as_str()),
        (Some(1000), Some("REFUNDED"))
    );
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_refund_that_stops_before_shopify_is_abandoned_and_the_reward_still_works() {
    let (stack, shop, rule) = setup("refund-abandoned", Some(1)).await;
    let reward = redeem(&stack, &shop, rule, false).await;
    let stored = stack.reward_record(&shop.domain, CUSTOMER, reward["id"].as_u64().unwrap()).await.unwrap();
    // What a refund that died before Shopify leaves: its request written on the reward, the code untouched.
    let asked = tally_tests::now();
    let begun = stored.refund_begun("asked, then the Lambda died", asked, asked).unwrap();
    let write = Write::reward(RewardWrite::Changed(begun));
    assert_eq!(stack.store.shop(&shop.id).commit(write).await.unwrap(), Committed::Done);
    let noted = stack.assert_audit_clean(&shop).await;
    assert!(noted.notes.iter().any(|n| n.contains("is being refunded")), "{:?}", noted.notes);

    let reconciled = stack.reconcile(&shop).await;
    assert_eq!(reconciled.refunds_abandoned, 1, "{reconciled:?}");
    let placed = stack
        .control(
            "POST",
            &format!("/__emulator/shops/{}/orders", shop.domain),
            json!({"codes": [reward["discountCode"]], "customerId": CUSTOMER}),
        )
        .await;
    assert_eq!(placed["deliveries"][0]["status"], 200, "the code still works at checkout");
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["status"], "USED");
    stack.assert_audit_clean(&shop).await;
}
