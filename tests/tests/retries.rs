//! Retries as clients and Shopify really make them: a key whose request did nothing is free again, every
//! Shopify call of a request shares the Lambda's deadline, and a refused rule write is not "in progress".

use std::time::{Duration, Instant, SystemTime};

use aws_sdk_dynamodb::types::AttributeValue;
use lambda_http::{Body, Context, RequestExt};
use serde_json::{json, Value};
use tally_tests::{dynamodb_endpoint, Stack};

const CUSTOMER: u64 = 8080;

fn mug() -> Value {
    json!({"name": "Free mug", "rewardType": "FREE_PRODUCT", "pointsCost": 300, "variantIds": [4242]})
}

#[tokio::test]
async fn a_redemption_refused_while_shopify_was_down_runs_again_once_it_is_back() {
    let (stack, shop, rule) = Stack::with_rule("down-then-up", mug(), &[(CUSTOMER, 1000)]).await;
    stack
        .control("POST", &format!("/__emulator/shops/{}/variants", shop.domain), json!({"id": 4242, "price": "12.00"}))
        .await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "variantId": 4242});
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0})).await;
    let down = stack.post_once(&shop.key, "mug-1", "/api/external/redeem-points", body.clone()).await;
    assert_eq!((down.status, down.code()), (503, "SHOPIFY_UNAVAILABLE"), "{:?}", down.body);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "nothing was taken");

    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let back = stack.post_once(&shop.key, "mug-1", "/api/external/redeem-points", body.clone()).await;
    assert_eq!((back.status, back.replayed), (200, false), "the retry ran, not replayed: {:?}", back.body);
    assert_eq!(back.body["availablePoints"], 700);
    let again = stack.post_once(&shop.key, "mug-1", "/api/external/redeem-points", body).await;
    assert_eq!(
        (again.status, again.replayed, &again.body),
        (200, true, &back.body),
        "an answer with an effect is kept"
    );
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn every_shopify_call_of_a_redemption_shares_the_lambdas_deadline() {
    let five_off = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00"});
    let (stack, shop, rule) = Stack::with_rule("deadline", five_off, &[(CUSTOMER, 1000)]).await;
    // Shopify acts but its answers never come: each call would wait its own timeout, then look the code up,
    // then try again, each with a budget of its own.
    stack.control("POST", "/__emulator/faults", json!({"mode": "timeout", "rate": 1.0})).await;
    let timeout = Duration::from_millis(2500);
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule}).to_string();
    let event = json!({"version": "2.0", "routeKey": "POST /api/external/redeem-points", "rawPath": "/api/external/redeem-points",
        "rawQueryString": "", "headers": {"x-api-key": shop.key, "content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/api/external/redeem-points", "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.7", "userAgent": "test"}, "accountId": "1", "apiId": "a", "domainName": "d",
            "domainPrefix": "d", "requestId": "r", "routeKey": "POST /api/external/redeem-points", "stage": "$default",
            "time": "23/Nov/2026:10:15:00 +0000", "timeEpoch": 0},
        "body": body, "isBase64Encoded": false});
    let mut context = Context::default();
    let deadline = SystemTime::now() + timeout;
    context.deadline = deadline.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_millis() as u64;
    let request = lambda_http::request::from_str(&event.to_string()).unwrap().with_lambda_context(context);

    let started = Instant::now();
    let response = redeem_points::handler(&stack.deps, request).await.unwrap();
    let took = started.elapsed();
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    assert!(took < timeout, "answered after {took:?}: Lambda would have cut it off at {timeout:?}");
    let Body::Text(text) = response.body() else { panic!("a JSON body") };
    let answer: Value = serde_json::from_str(text).unwrap();
    assert_eq!((response.status().as_u16(), &answer["reward"]["status"]), (202, &json!("PENDING")), "{answer}");
    // Shopify did create it; reconciliation finds it.
    assert_eq!(stack.reconcile(&shop).await.issued, 1);
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewards"][0]["status"], "UNUSED");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_rule_write_that_loses_a_race_says_try_again_not_in_progress() {
    let (stack, shop, _) = Stack::with_rule("rule-race", mug(), &[]).await;
    // An item already where the next rule would go: the create's transaction is cancelled.
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    let (pk, sk) = tally_store::keys::rule(&shop.id, tally_tests::rule_id(2));
    let item = [("PK", pk), ("SK", sk)].map(|(k, v)| (k.to_string(), AttributeValue::S(v)));
    client.put_item().table_name(stack.store.table()).set_item(Some(item.into())).send().await.unwrap();

    let rule = json!({"name": "Free shipping", "rewardType": "FREE_SHIPPING", "pointsCost": 100});
    let raced = stack.post(&shop.key, "/api/external/point-redeem-rules", rule.clone()).await;
    assert_eq!((raced.status, raced.code()), (503, "TRY_AGAIN"), "{:?}", raced.body);
    let retried = stack.post(&shop.key, "/api/external/point-redeem-rules", rule).await;
    assert_eq!((retried.status, retried.body["id"].as_u64()), (201, Some(3)));
}
