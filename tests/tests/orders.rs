//! Order-time deduction and Shopify's order webhooks, delivered by the emulator as Shopify signs them.

use serde_json::{json, Value};
use tally_domain::ledger::LedgerKind;
use tally_domain::shop::ShopSettings;
use tally_tests::{Reply, Stack, TestShop};

const CUSTOMER: u64 = 1212;

async fn setup(name: &str, expires_after_days: Option<u32>) -> (Stack, TestShop, u64) {
    let mut rule = json!({"name": "$6 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 600, "discountValue": "6.00"});
    if let Some(days) = expires_after_days {
        rule["expiresAfterDays"] = json!(days);
    }
    Stack::with_rule(name, rule, &[(CUSTOMER, 1000)]).await
}

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64, delayed: bool) -> Reply {
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": delayed});
    stack.post(&shop.key, "/api/external/redeem-points", body).await
}

async fn order(stack: &Stack, shop: &TestShop, order: Value) -> Value {
    stack.order(shop, order).await
}

async fn ledger_kinds(stack: &Stack, shop: &TestShop) -> Vec<LedgerKind> {
    stack.ledger(&shop.domain, CUSTOMER).await.iter().map(|e| e.kind).collect()
}

fn delivered_ok(placed: &Value) -> bool {
    placed["deliveries"].as_array().is_some_and(|d| !d.is_empty() && d.iter().all(|d| d["status"] == 200))
}

#[tokio::test]
async fn a_delayed_redemption_reserves_and_its_order_pays_exactly_once() {
    let (stack, shop, rule) = setup("reserve", None).await;
    let reserved = redeem(&stack, &shop, rule, true).await;
    assert_eq!(reserved.status, 200, "{:?}", reserved.body);
    assert_eq!(reserved.body["reward"]["deductionMode"], "ON_ORDER");
    assert_eq!(reserved.body["reward"]["status"], "UNUSED");
    assert_eq!(
        (reserved.body["availablePoints"].as_i64(), reserved.body["reservedPoints"].as_i64()),
        (Some(400), Some(600))
    );
    let immediate = stack
        .post(&shop.key, "/api/external/redeem-points", json!({"customerId": CUSTOMER, "redeemRuleId": rule}))
        .await;
    assert_eq!(immediate.code(), "INSUFFICIENT_POINTS", "reserved points cannot be spent again");
    let again = redeem(&stack, &shop, rule, true).await;
    assert_eq!(again.code(), "INSUFFICIENT_POINTS", "nor reserved twice");

    let code = reserved.body["reward"]["discountCode"].as_str().unwrap();
    let placed =
        order(&stack, &shop, json!({"codes": [code], "customerId": CUSTOMER, "copies": 5, "distinctDeliveries": true}))
            .await;
    assert!(delivered_ok(&placed), "{placed:#?}");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    let reward = &loyalty["rewards"][0];
    assert_eq!(reward["status"], "USED");
    assert_eq!(reward["orderId"], placed["order"]["id"]);
    assert_eq!(reward["orderName"], placed["order"]["name"]);
    assert!(reward["usedAt"].is_string());
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(400), Some(0)));
    assert_eq!(loyalty["spentPoints"], 600);
    assert_eq!(
        ledger_kinds(&stack, &shop).await,
        [LedgerKind::Credit, LedgerKind::Reserve, LedgerKind::ReservationSpent],
        "paid once, though 5 deliveries came at once"
    );
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_webhook_without_the_shops_signature_changes_nothing() {
    let (stack, shop, rule) = setup("signature", None).await;
    let reward = redeem(&stack, &shop, rule, true).await.body["reward"].clone();
    let body = json!({"id": 1, "name": "#1", "customer": null, "discount_codes": [{"code": reward["discountCode"], "amount": "6.00", "type": "fixed_amount"}]}).to_string();
    let send = |signature: Option<String>, domain: &str, topic: &str, body: String| {
        let mut request = stack
            .http
            .post(format!("{}/webhooks/shopify", stack.api))
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", domain)
            .header("X-Shopify-Webhook-Id", format!("w-{topic}-{}", body.len()))
            .body(body);
        if let Some(signature) = signature {
            request = request.header("X-Shopify-Hmac-Sha256", signature);
        }
        async move { request.send().await.unwrap().status().as_u16() }
    };
    let right = tally_api::auth::sign("secret", body.as_bytes());
    let wrong = tally_api::auth::sign("not the secret", body.as_bytes());
    assert_eq!(send(Some(wrong), &shop.domain, "orders/create", body.clone()).await, 401);
    assert_eq!(send(None, &shop.domain, "orders/create", body.clone()).await, 401);
    assert_eq!(send(Some(right.clone()), "unknown.myshopify.com", "orders/create", body.clone()).await, 401);
    let tampered = body.replace("\"#1\"", "\"#2\"");
    assert_eq!(send(Some(right), &shop.domain, "orders/create", tampered).await, 401);
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["rewards"][0]["status"], "UNUSED", "nothing changed");
    assert_eq!(loyalty["reservedPoints"], 600);

    let garbage = "{not json".to_string();
    assert_eq!(
        send(Some(tally_api::auth::sign("secret", garbage.as_bytes())), &shop.domain, "orders/create", garbage).await,
        400
    );
    let other = "{\"id\": 5}".to_string();
    assert_eq!(
        send(Some(tally_api::auth::sign("secret", other.as_bytes())), &shop.domain, "products/update", other).await,
        200
    );
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_signed_body_sent_again_under_another_topic_or_long_after_changes_nothing() {
    let (stack, shop, rule) = setup("replayed", None).await;
    let reward = redeem(&stack, &shop, rule, false).await.body["reward"].clone();
    let order = json!({"id": 31, "name": "#31", "customer": {"id": CUSTOMER}, "cancelled_at": null,
        "discount_codes": [{"code": reward["discountCode"], "amount": "6.00", "type": "fixed_amount"}]});
    let (status, _) = stack.webhook(&stack.api, &shop, "orders/create", "c-1", &order).await;
    assert_eq!(status, 200);
    let balance = stack.balance(&shop, CUSTOMER).await;
    // The order's own signed body, captured and sent as a cancellation or as a new customer.
    let (status, body) = stack.webhook(&stack.api, &shop, "orders/cancelled", "c-2", &order).await;
    assert_eq!((status, &body["error"]["code"]), (400, &json!("INVALID_REQUEST")), "{body}");
    let (status, _) = stack.webhook(&stack.api, &shop, "customers/create", "c-3", &order).await;
    assert_eq!(status, 400);
    // A real cancellation, triggered longer ago than Shopify retries.
    let cancelled = json!({"id": 31, "name": "#31", "cancelled_at": "2026-01-01T00:00:00Z", "discount_codes": order["discount_codes"]});
    let long_ago = [("X-Shopify-Triggered-At", "2026-01-01T00:00:00Z".to_string())];
    let (status, body) = stack.webhook_with(&stack.api, &shop, "orders/cancelled", "c-4", &cancelled, &long_ago).await;
    assert_eq!((status, &body["ignored"]), (200, &json!("triggered longer ago than Shopify retries")), "{body}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, balance, "no points came back");
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["status"], "USED");
    // A stamp at the calendar's end is no reason to fail.
    let far = [("X-Shopify-Triggered-At", "9999-12-31T23:59:59Z".to_string())];
    let other = json!({"id": 32, "name": "#32", "cancelled_at": null, "discount_codes": []});
    let (status, _) = stack.webhook_with(&stack.api, &shop, "orders/create", "c-5", &other, &far).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn expiry_releases_a_reservation_and_ends_the_code() {
    let (stack, shop, rule) = setup("expiry", Some(1)).await;
    let delayed = redeem(&stack, &shop, rule, true).await.body["reward"].clone();
    let two_days_later = tally_tests::now() + time::Duration::days(2);
    let report = tally_app::expire::expire(&stack.deps, Some(&shop.id), two_days_later, None).await.unwrap();
    assert_eq!(report.expired, 1);
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["rewards"][0]["status"], "EXPIRED");
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(1000), Some(0)));
    let discount = stack.discounts(&shop).await.into_iter().find(|d| d["code"] == delayed["discountCode"]).unwrap();
    assert_eq!(discount["status"], "EXPIRED", "the code no longer works in Shopify");
    let late = stack
        .http
        .post(format!("{}/__emulator/shops/{}/orders", stack.emulator, shop.domain))
        .json(&json!({"codes": [delayed["discountCode"]], "customerId": CUSTOMER}))
        .send()
        .await
        .unwrap();
    assert_eq!(late.status(), 422, "an expired code cannot be used");

    // An immediate reward keeps its points spent when it expires, unless the shop says otherwise.
    let immediate = redeem(&stack, &shop, rule, false).await;
    assert_eq!(immediate.status, 200);
    tally_app::expire::expire(&stack.deps, Some(&shop.id), two_days_later, None).await.unwrap();
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 400);
    let returning = ShopSettings { return_points_on_expiry: true, ..ShopSettings::default() };
    stack.set_settings(&shop.domain, &returning).await;
    redeem(&stack, &shop, rule, false).await;
    tally_app::expire::expire(&stack.deps, Some(&shop.id), two_days_later, None).await.unwrap();
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 400, "its points came back");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_cancelled_order_gives_points_back_once_even_before_its_creation() {
    let (stack, shop, rule) = setup("cancel", None).await;
    let first = redeem(&stack, &shop, rule, false).await.body["reward"].clone();
    let placed = order(&stack, &shop, json!({"codes": [first["discountCode"]], "customerId": CUSTOMER, "cancel": true, "copies": 3, "distinctDeliveries": true})).await;
    assert!(delivered_ok(&placed), "{placed:#?}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "the points came back, once, for three deliveries");

    let second = redeem(&stack, &shop, rule, true).await.body["reward"].clone();
    let placed = order(
        &stack,
        &shop,
        json!({"codes": [second["discountCode"]], "customerId": null, "cancel": true, "cancelFirst": true}),
    )
    .await;
    assert!(delivered_ok(&placed), "{placed:#?}");
    assert_eq!(placed["deliveries"][0]["topic"], "orders/cancelled");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((loyalty["availablePoints"].as_i64(), loyalty["reservedPoints"].as_i64()), (Some(1000), Some(0)));
    let statuses: Vec<&str> =
        loyalty["rewards"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["REFUNDED", "REFUNDED"]);
    let returned = ledger_kinds(&stack, &shop).await.iter().filter(|k| **k == LedgerKind::RedeemReversed).count();
    assert_eq!(returned, 2, "one return per cancelled reward");
    stack.assert_audit_clean(&shop).await;

    // A shop that keeps points on cancellation keeps them.
    let keeping = ShopSettings { return_points_on_cancel: false, ..ShopSettings::default() };
    stack.set_settings(&shop.domain, &keeping).await;
    let third = redeem(&stack, &shop, rule, false).await.body["reward"].clone();
    order(&stack, &shop, json!({"codes": [third["discountCode"]], "customerId": CUSTOMER, "cancel": true})).await;
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 400);
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn shopify_customers_are_enrolled_when_the_shop_says_so() {
    let (stack, shop, _) = setup("auto-enroll", None).await;
    let created = |id: u64| json!({"id": id, "email": format!("new{id}@example.com"), "first_name": "New"}).to_string();
    let send = |body: String, webhook_id: &str| {
        let request = stack
            .http
            .post(format!("{}/webhooks/shopify", stack.api))
            .header("X-Shopify-Topic", "customers/create")
            .header("X-Shopify-Shop-Domain", &shop.domain)
            .header("X-Shopify-Webhook-Id", webhook_id)
            .header("X-Shopify-Hmac-Sha256", tally_api::auth::sign("secret", body.as_bytes()))
            .body(body);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(send(created(31), "c-31").await, 200);
    assert!(stack.customer_record(&shop.domain, 31).await.is_none(), "autoEnroll is off by default");
    stack.set_settings(&shop.domain, &ShopSettings { auto_enroll: true, ..ShopSettings::default() }).await;
    assert_eq!(send(created(32), "c-32").await, 200);
    assert_eq!(send(created(32), "c-32-again").await, 200, "a second delivery is harmless");
    assert_eq!(stack.loyalty(&shop, 32).await["customerStatus"], "ACTIVE");
}
