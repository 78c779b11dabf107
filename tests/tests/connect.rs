//! A shop connected as today's Shopify apps are: a Dev Dashboard app whose tokens expire, webhooks it
//! subscribes itself, refunds, the app uninstalled, and the compliance webhooks.

use std::time::Duration;

use serde_json::{json, Value};
use tally_tests::{dynamodb_endpoint, Stack, TestShop};

const CUSTOMER: u64 = 7070;

async fn state(stack: &Stack, shop: &TestShop) -> Value {
    stack.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await
}

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64) -> tally_tests::Reply {
    stack.post(&shop.key, "/api/external/redeem-points", json!({"customerId": CUSTOMER, "redeemRuleId": rule})).await
}

/// A connected shop with a $5 rule and a customer with 2,000 points.
async fn setup(name: &str, token_ttl_seconds: u64) -> (Stack, TestShop, u64) {
    let stack = Stack::start().await;
    let shop = stack.connected_shop(name, token_ttl_seconds).await;
    let rule = stack
        .rule(
            &shop,
            json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00"}),
        )
        .await;
    stack.customer(&shop, CUSTOMER, 2000).await;
    (stack, shop, rule)
}

#[tokio::test]
async fn tokens_that_expire_or_are_revoked_are_renewed_and_each_redemption_debits_once() {
    let (stack, shop, rule) = setup("expiring", 5).await;
    assert_eq!(redeem(&stack, &shop, rule).await.status, 200, "with the token that proved the credentials");
    tokio::time::sleep(Duration::from_secs(6)).await;
    let after_expiry = redeem(&stack, &shop, rule).await;
    assert_eq!(after_expiry.status, 200, "after the token expired: {:?}", after_expiry.body);
    stack.control("POST", &format!("/__emulator/shops/{}/revoke-tokens", shop.domain), Value::Null).await;
    let after_revocation = redeem(&stack, &shop, rule).await;
    assert_eq!(after_revocation.status, 200, "after Shopify revoked it: {:?}", after_revocation.body);

    assert_eq!(stack.balance(&shop, CUSTOMER).await, 500, "three debits of 500, one each");
    assert_eq!(stack.discounts(&shop).await.len(), 3, "three codes in Shopify");
    assert_eq!(state(&stack, &shop).await["tokensIssued"], 3, "a token per need: connect, expiry, revocation");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_wrong_secret_fails_connect_cleanly_and_stores_nothing() {
    let stack = Stack::start().await;
    let domain = "wrong-secret.myshopify.com";
    let register = json!({"domain": domain, "clientId": "app-1", "clientSecret": "right"});
    stack.control("POST", "/__emulator/shops", register).await;
    let admin_url = format!("{}/shops/{domain}", stack.emulator);
    let (connected, said) = stack
        .cli(&[
            "shop",
            "connect",
            "--domain",
            domain,
            "--client-id",
            "app-1",
            "--client-secret",
            "wrong",
            "--admin-url",
            &admin_url,
        ])
        .await;
    assert!(!connected, "{said}");
    assert!(said.contains("did not accept") && !said.contains("wrong"), "a clear error, and no secret in it: {said}");
    assert!(stack.shop_of(domain).await.is_none(), "nothing was stored");
    assert!(stack.secrets_of(domain).await.is_none());
}

#[tokio::test]
async fn connecting_again_keeps_what_the_flags_do_not_change() {
    let stack = Stack::start().await;
    let domain = "again.myshopify.com";
    let register = json!({"domain": domain, "clientId": "app-1", "clientSecret": "right"});
    stack.control("POST", "/__emulator/shops", register).await;
    let admin_url = format!("{}/shops/{domain}", stack.emulator);
    let base = ["shop", "connect", "--domain", domain, "--client-id", "app-1", "--client-secret", "right"];
    let first = [&base[..], &["--admin-url", &admin_url, "--currency", "EUR", "--code-prefix", "KEEP-"]].concat();
    let (connected, said) = stack.cli(&first).await;
    assert!(connected, "{said}");
    let (again, said) = stack.cli(&base).await;
    assert!(again && said.contains("connected again"), "{said}");
    let shop = stack.shop_of(domain).await.unwrap();
    assert_eq!(
        (shop.currency.as_str(), shop.code_prefix.as_str(), shop.admin_url.as_str()),
        ("EUR", "KEEP-", admin_url.as_str())
    );
    let changed = [&base[..], &["--currency", "GBP"]].concat();
    assert!(stack.cli(&changed).await.0);
    let shop = stack.shop_of(domain).await.unwrap();
    assert_eq!((shop.currency.as_str(), shop.code_prefix.as_str()), ("GBP", "KEEP-"), "only what a flag says changes");
}

#[tokio::test]
async fn connecting_twice_subscribes_each_topic_once() {
    let stack = Stack::start().await;
    let shop = stack.connected_shop("twice", 86399).await;
    let again = stack
        .shop_record(&shop.domain, tally_domain::shop::Access::ClientCredentials { client_id: "app-twice".into() });
    let secrets = tally_domain::shop::ShopSecrets::new("secret", None).unwrap();
    let webhooks = format!("{}/webhooks/shopify", stack.api);
    let connected = tally_app::shops::connect(&stack.deps, &again, &secrets, Some(&webhooks)).await.unwrap();
    assert!(!connected.new && connected.subscribed.is_empty() && connected.already.len() == 5, "{connected:?}");
    let subscriptions = state(&stack, &shop).await["webhookSubscriptions"].as_array().unwrap().clone();
    let mut topics: Vec<&str> = subscriptions.iter().map(|s| s["topic"].as_str().unwrap()).collect();
    topics.sort();
    assert_eq!(topics, ["APP_UNINSTALLED", "CUSTOMERS_CREATE", "ORDERS_CANCELLED", "ORDERS_CREATE", "REFUNDS_CREATE"]);
    assert!(subscriptions.iter().all(|s| s["uri"] == webhooks.as_str()));
}

#[tokio::test]
async fn a_full_refund_returns_the_points_once_and_a_partial_one_none() {
    let (stack, shop, rule) = setup("refunds", 86399).await;
    let mut orders = Vec::new();
    for _ in 0..2 {
        let code = redeem(&stack, &shop, rule).await.body["reward"]["discountCode"].clone();
        let placed = stack.order(&shop, json!({"codes": [code], "customerId": CUSTOMER})).await;
        assert_eq!(placed["deliveries"][0]["status"], 200, "{placed}");
        orders.push(placed["order"]["id"].as_u64().unwrap());
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000);
    let refund = |order: u64, full: bool| {
        let path = format!("/__emulator/shops/{}/orders/{order}/refund", shop.domain);
        let (stack, body) = (&stack, json!({"full": full, "copies": 3}));
        async move { stack.control("POST", &path, body).await }
    };
    let partial = refund(orders[0], false).await;
    assert!(partial["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == 200), "{partial}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "a partial refund returns nothing");
    let full = refund(orders[1], true).await;
    assert_eq!(full["deliveries"].as_array().map(Vec::len), Some(3), "three deliveries of one refund");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1500, "a full refund returns the points, once");
    // Both rewards were made within a second: compare them as a set, not in the order listed.
    let mut statuses: Vec<String> = stack.loyalty(&shop, CUSTOMER).await["rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_string())
        .collect();
    statuses.sort();
    assert_eq!(statuses, ["REFUNDED", "USED"]);
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn an_uninstalled_app_refuses_writes_keeps_reads_and_comes_back_when_connected() {
    let (stack, shop, rule) = setup("uninstalled", 86399).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let before = stack.post_once(&shop.key, "before-uninstall", "/api/external/redeem-points", body.clone()).await;
    assert_eq!(before.status, 200);
    let (status, answer) =
        stack.webhook(&stack.api, &shop, "app/uninstalled", "u-1", &json!({"id": 1, "domain": shop.domain})).await;
    assert_eq!((status, &answer["uninstalled"]), (200, &json!(true)));
    let refused = redeem(&stack, &shop, rule).await;
    assert_eq!((refused.status, refused.code()), (403, "SHOP_UNINSTALLED"));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1500, "reads still work; the balance is untouched");
    let retried = stack.post_once(&shop.key, "before-uninstall", "/api/external/redeem-points", body).await;
    assert_eq!((retried.status, retried.replayed), (200, true), "a retry of a redemption made before is answered");
    let report =
        tally_app::reconcile::reconcile(&stack.deps, None, Duration::ZERO, tally_tests::now(), None).await.unwrap();
    assert_eq!(report.shops, 0, "the jobs pass the shop by");

    let again = stack.shop_record(
        &shop.domain,
        tally_domain::shop::Access::ClientCredentials { client_id: "app-uninstalled".into() },
    );
    let secrets = tally_domain::shop::ShopSecrets::new("secret", None).unwrap();
    let before_connect = tally_domain::rfc3339(tally_tests::now() - time::Duration::seconds(2));
    tally_app::shops::connect(&stack.deps, &again, &secrets, None).await.unwrap();
    assert_eq!(redeem(&stack, &shop, rule).await.status, 200, "connected again, it redeems");

    // Shopify's retry of an uninstall from before the connect arrives late: the shop stays connected.
    let late = [("X-Shopify-Triggered-At", before_connect), ("X-Shopify-Event-Id", "uninstall-old".to_string())];
    let uninstall = json!({"id": 1, "myshopify_domain": shop.domain});
    let (status, _) = stack.webhook_with(&stack.api, &shop, "app/uninstalled", "u-2", &uninstall, &late).await;
    assert_eq!(status, 200);
    assert_eq!(redeem(&stack, &shop, rule).await.status, 200, "still connected");
    // A body about another shop, under this shop's header, is refused.
    let elsewhere = json!({"id": 2, "myshopify_domain": "other.myshopify.com"});
    let (status, body) = stack.webhook(&stack.api, &shop, "app/uninstalled", "u-3", &elsewhere).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("INVALID_REQUEST")), "{body}");
    assert_eq!(redeem(&stack, &shop, rule).await.status, 200, "still connected");
}

#[tokio::test]
async fn compliance_webhooks_report_erase_and_delete() {
    let (stack, shop, rule) = setup("compliance", 86399).await;
    assert_eq!(redeem(&stack, &shop, rule).await.status, 200);
    let customer = json!({"shop_domain": shop.domain, "customer": {"id": CUSTOMER, "email": format!("c{CUSTOMER}@example.com")},
        "orders_requested": [], "data_request": {"id": 9}});
    let (status, body) = stack.webhook(&stack.api, &shop, "customers/data_request", "d-1", &customer).await;
    assert_eq!((status, &body["dataHeld"]), (200, &json!(true)));
    let (exported, printed) =
        stack.cli(&["customer", "export", "--shop", &shop.domain, "--customer-id", &CUSTOMER.to_string()]).await;
    let export: Value = serde_json::from_str(&printed).unwrap_or_else(|_| panic!("{printed}"));
    assert!(
        exported
            && export["email"] == format!("c{CUSTOMER}@example.com")
            && export["ledger"].as_array().unwrap().len() == 2
    );

    let (status, _) = stack.webhook(&stack.api, &shop, "customers/redact", "r-1", &customer).await;
    assert_eq!(status, 200);
    let by_email =
        stack.get(&shop.key, &format!("/api/external/customer-loyalty?customerEmail=c{CUSTOMER}@example.com")).await;
    assert_eq!(by_email.code(), "CUSTOMER_NOT_FOUND", "the email no longer finds the customer");
    let by_id = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((by_id["availablePoints"].as_i64(), &by_id["email"]), (Some(1500), &Value::Null), "the balance stays");
    stack.assert_audit_clean(&shop).await;

    let another = json!({"shop_domain": "other.myshopify.com", "customer": {"id": CUSTOMER}});
    let (status, _) = stack.webhook(&stack.api, &shop, "customers/redact", "r-2", &another).await;
    assert_eq!(status, 400, "a body about another shop is refused");

    // shop/redact erases a shop whose app is uninstalled, not one that is installed.
    let redact = json!({"shop_domain": shop.domain});
    let (status, body) = stack.webhook(&stack.api, &shop, "shop/redact", "s-0", &redact).await;
    assert_eq!((status, body.get("shopDeletion")), (200, None), "{body}");
    assert!(stack.shop_of(&shop.domain).await.is_some(), "an installed shop is kept");
    let uninstalled = json!({"id": 1, "myshopify_domain": shop.domain});
    assert_eq!(stack.webhook(&stack.api, &shop, "app/uninstalled", "u-1", &uninstalled).await.0, 200);
    let (status, body) = stack.webhook(&stack.api, &shop, "shop/redact", "s-1", &redact).await;
    assert_eq!((status, &body["shopDeletion"], &body["new"]), (200, &json!("recorded"), &json!(true)), "{body}");
    let (status, body) = stack.webhook(&stack.api, &shop, "shop/redact", "s-2", &redact).await;
    assert_eq!((status, &body["new"]), (200, &json!(false)), "a repeated delivery records nothing more: {body}");
    assert!(stack.shop_of(&shop.domain).await.is_some(), "the delivery only records the deletion");
    let report = tally_app::redaction::redact(&stack.deps, None).await.unwrap();
    assert_eq!((report.shops_deleted, report.errors), (1, 0), "{report:?}");
    assert!(stack.shop_of(&shop.domain).await.is_none(), "the job deleted the shop");
    assert!(stack.customer_record(&shop.domain, CUSTOMER).await.is_none(), "and its customers");
    assert_eq!(stack.get(&shop.key, "/api/external/point-redeem-rules").await.code(), "UNAUTHORIZED", "and its keys");
}

#[tokio::test]
async fn deliveries_of_one_event_are_handled_once() {
    let (stack, shop, rule) = setup("event-ids", 86399).await;
    let code = redeem(&stack, &shop, rule).await.body["reward"]["discountCode"].clone();
    let placed = stack
        .control(
            "POST",
            &format!("/__emulator/shops/{}/orders", shop.domain),
            json!({"codes": [code], "customerId": CUSTOMER, "copies": 3, "distinctDeliveries": true, "cancel": true}),
        )
        .await;
    let deliveries = placed["deliveries"].as_array().unwrap();
    assert_eq!(deliveries.len(), 6, "three copies of each event, each with its own webhook id");
    assert!(deliveries.iter().all(|d| d["status"] == 200));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 2000, "used once, cancelled once, its points back once");
    let ledger = stack.ledger(&shop.domain, CUSTOMER).await;
    assert_eq!(ledger.len(), 3, "credit, redeem, reversal: {ledger:?}");
}

/// A shop saved before secrets had items of their own: its static token and client secret in its item.
#[tokio::test]
async fn secrets_saved_in_a_shop_s_item_move_to_their_own_once() {
    use aws_sdk_dynamodb::types::AttributeValue;
    use tally_store::keys;
    use tally_store::records::{listed, GSI1PK, PK, SK};
    let stack = Stack::start().await;
    let domain = "legacy.myshopify.com";
    let id = tally_domain::shop::ShopDomain::parse(domain).unwrap();
    let s = |v: &str| AttributeValue::S(v.into());
    let (pk, sk) = keys::shop(&id);
    let mut item: std::collections::HashMap<String, AttributeValue> = [
        (PK.name(), s(&pk)),
        (SK.name(), s(&sk)),
        ("domain", s(domain)),
        ("accessToken", s("shpat_legacy")),
        ("clientSecret", s("legacy-secret")),
        ("currency", s("EUR")),
        ("adminUrl", s(&format!("{}/shops/{domain}", stack.emulator))),
        ("codePrefix", s("OLD-")),
        ("createdAt", s("2026-01-01T00:00:00Z")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    item = listed(item, keys::shop_listing(&id));
    assert!(item.contains_key(GSI1PK.name()));
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    client.put_item().table_name(stack.store.table()).set_item(Some(item)).send().await.unwrap();

    let listed_before = tally_app::ports::Store::shops(&stack.store).await.expect("an old shop's item still reads");
    assert_eq!(listed_before.iter().map(|s| s.currency.as_str()).collect::<Vec<_>>(), ["EUR"]);
    let (ok, printed) = stack.cli(&["shop", "migrate-secrets"]).await;
    assert!(ok && printed.contains("1 shop(s) legacy.myshopify.com"), "{printed}");
    let secrets = stack.secrets_of(domain).await.expect("its own secrets item");
    assert_eq!(secrets.client_secret, "legacy-secret");
    let raw = client.get_item().table_name(stack.store.table()).key(PK.name(), s(&pk)).key(SK.name(), s(&sk));
    let raw = raw.send().await.unwrap().item.unwrap();
    assert!(
        !raw.contains_key("accessToken") && !raw.contains_key("clientSecret"),
        "the shop's item no longer has them"
    );
    assert!(stack.store.move_legacy_secrets().await.unwrap().is_empty(), "a second run moves nothing");
    let shop = stack.shop_of(domain).await.unwrap();
    assert_eq!((shop.currency.as_str(), shop.code_prefix.as_str()), ("EUR", "OLD-"));
}

/// Shopify delivers an order's refund before Tally has handled the order (its `orders/create` waited for a
/// retry, say): the points come back when the order arrives, once.
#[tokio::test]
async fn a_full_refund_that_arrives_before_its_order_still_returns_the_points() {
    let (stack, shop, rule) = setup("refund-first", 86399).await;
    let code = redeem(&stack, &shop, rule).await.body["reward"]["discountCode"].clone();
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1500);
    let order = json!({"codes": [code], "customerId": CUSTOMER, "delayMs": 1500});
    let path = format!("/__emulator/shops/{}/orders", shop.domain);
    let placing = stack.control("POST", &path, order);
    let refunding = async {
        tokio::time::sleep(Duration::from_millis(400)).await;
        let orders = state(&stack, &shop).await["orders"].clone();
        let id = orders.as_array().and_then(|o| o.first()).map(|o| o["id"].as_u64().unwrap()).expect("the order");
        let path = format!("/__emulator/shops/{}/orders/{id}/refund", shop.domain);
        stack.control("POST", &path, json!({"full": true, "copies": 2})).await
    };
    let (placed, refunded) = tokio::join!(placing, refunding);
    assert!(refunded["deliveries"].as_array().unwrap().iter().all(|d| d["status"] == 200), "{refunded}");
    assert_eq!(placed["deliveries"][0]["status"], 200, "{placed}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 2000, "the points came back once the order arrived");
    let reward = &stack.loyalty(&shop, CUSTOMER).await["rewards"][0];
    assert_eq!(reward["status"], "REFUNDED", "{reward}");
    stack.assert_audit_clean(&shop).await;
}
