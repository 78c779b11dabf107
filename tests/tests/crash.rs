//! A Lambda that dies halfway loses nothing: the real local API server is run as a process that aborts
//! at a crash point, then reconciliation settles what it left, and the audit is clean.

use serde_json::json;
use tally_tests::server::Server;
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 4242;

/// Sends one redemption to a server that aborts at `crash_at`; returns once the server died.
async fn redeem_and_crash(stack: &Stack, shop: &TestShop, crash_at: &str, key: &str, rule: u64) {
    let server = Server::crashing_at(stack, crash_at).await;
    let url = server.url.clone();
    let sent = stack
        .http
        .post(format!("{url}/api/external/redeem-points"))
        .header("X-API-Key", &shop.key)
        .header("Idempotency-Key", key)
        .json(&json!({"customerId": CUSTOMER, "redeemRuleId": rule}))
        .send()
        .await;
    assert!(sent.is_err(), "the server died before answering");
    server.assert_crashed(crash_at);
}

#[tokio::test]
async fn a_crash_before_or_after_shopify_is_settled_by_reconciliation() {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00"});
    let (stack, shop, rule) = Stack::with_rule("crash", rule, &[(CUSTOMER, 1000)]).await;

    redeem_and_crash(&stack, &shop, "after-debit", "crash-before-shopify", rule).await;
    redeem_and_crash(&stack, &shop, "after-shopify", "crash-after-shopify", rule).await;
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 800, "both debits were made");
    assert!(loyalty["rewards"].as_array().unwrap().iter().all(|r| r["status"] == "PENDING"));
    assert_eq!(stack.discounts(&shop).await.len(), 1, "only the second got as far as Shopify");

    // The dead request's key is still held: a retry is told to wait, not run again.
    let retry = stack
        .post_once(
            &shop.key,
            "crash-before-shopify",
            "/api/external/redeem-points",
            json!({"customerId": CUSTOMER, "redeemRuleId": rule}),
        )
        .await;
    assert_eq!((retry.status, retry.code()), (409, "REQUEST_IN_PROGRESS"));

    let report = stack.reconcile(&shop).await;
    assert_eq!((report.pending, report.issued, report.failed), (2, 1, 1), "{report:?}");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 900, "the reward Shopify never saw gave its points back");
    let mut statuses: Vec<&str> =
        loyalty["rewards"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, ["FAILED", "UNUSED"]);
    stack.assert_audit_clean(&shop).await;
    assert_eq!(stack.reconcile(&shop).await.pending, 0, "nothing is left pending");
}

#[tokio::test]
async fn a_webhook_whose_handler_dies_halfway_is_handled_whole_when_shopify_delivers_it_again() {
    let rule = json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 10, "discountValue": "1.00"});
    let (stack, shop, rule) = Stack::with_rule("crash-webhook", rule, &[(CUSTOMER, 1000)]).await;
    let mut codes = Vec::new();
    for _ in 0..40 {
        let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": true});
        let reply = stack.post(&shop.key, "/api/external/redeem-points", body).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        codes.push(reply.body["reward"]["discountCode"].clone());
    }
    let used: Vec<_> = codes.iter().map(|c| json!({"code": c, "amount": "1.00", "type": "fixed_amount"})).collect();
    let order = json!({"id": 9001, "name": "#9001", "customer": {"id": CUSTOMER}, "discount_codes": used});

    let server = Server::crashing_at(&stack, "mid-order").await;
    let (status, _) = stack.webhook(&server.url, &shop, "orders/create", "delivery-9001", &order).await;
    assert_eq!(status, 0, "the handler died before answering");
    server.assert_crashed("mid-order");
    let status_of = |loyalty: &serde_json::Value, status: &str| {
        loyalty["rewards"].as_array().unwrap().iter().filter(|r| r["status"] == status).count()
    };
    let halfway = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(status_of(&halfway, "USED"), 1, "it died after the first reward");

    // Shopify retries the same delivery, then delivers it once more.
    let (status, body) = stack.webhook(&stack.api, &shop, "orders/create", "delivery-9001", &order).await;
    assert_eq!((status, body["rewardsUsed"].as_i64()), (200, Some(39)), "{body}");
    let (status, body) = stack.webhook(&stack.api, &shop, "orders/create", "delivery-9001", &order).await;
    assert_eq!((status, body["duplicate"].as_bool()), (200, Some(true)));
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(status_of(&loyalty, "USED"), 40, "every code of the order is counted");
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(600), Some(0)));
    let spent = stack.ledger(&shop.domain, CUSTOMER).await;
    let spent = spent.iter().filter(|e| e.kind == tally_domain::ledger::LedgerKind::ReservationSpent).count();
    assert_eq!(spent, 40, "each reservation was paid exactly once");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_returning_customer_whose_answer_was_lost_is_answered_as_returning() {
    let (stack, shop, _) = Stack::with_rule(
        "crash-enroll",
        json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 1}),
        &[(CUSTOMER, 50)],
    )
    .await;
    let mut left = stack.customer_record(&shop.domain, CUSTOMER).await.unwrap();
    left.status = tally_domain::customer::CustomerStatus::Inactive;
    stack.put_customer(&shop.domain, &left).await;

    let back = json!({"customerId": CUSTOMER, "email": format!("c{CUSTOMER}@example.com")});
    let server = Server::crashing_at(&stack, "after-enroll").await;
    let sent = stack
        .http
        .post(format!("{}/api/external/customers", server.url))
        .header("X-API-Key", &shop.key)
        .header("Idempotency-Key", "rejoin-1")
        .json(&back)
        .send()
        .await;
    assert!(sent.is_err(), "the server died before answering");
    server.assert_crashed("after-enroll");

    tokio::time::sleep(std::time::Duration::from_millis(31_000)).await;
    let retry = stack.post_once(&shop.key, "rejoin-1", "/api/external/customers", back).await;
    assert_eq!((retry.status, retry.body["availablePoints"].as_i64()), (200, Some(50)), "{:?}", retry.body);
}
