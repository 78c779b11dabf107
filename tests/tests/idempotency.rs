//! Idempotency keys: a retried write has one effect and one answer.

use std::time::Duration;

use futures::future::join_all;
use serde_json::json;
use tally_tests::{Reply, Stack, TestShop};

const CUSTOMER: u64 = 8080;
const REDEEM: &str = "/api/external/redeem-points";

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00"});
    Stack::with_rule(name, rule, &[(CUSTOMER, 1000)]).await
}

/// Sends until the answer is final, waiting as a 409 asks.
async fn until_answered(stack: &Stack, shop: &TestShop, key: &str, body: serde_json::Value) -> (Reply, usize) {
    let mut in_progress = 0;
    loop {
        let reply = stack.post_once(&shop.key, key, REDEEM, body.clone()).await;
        if reply.status != 409 {
            return (reply, in_progress);
        }
        assert_eq!(reply.code(), "REQUEST_IN_PROGRESS");
        assert_eq!(reply.retry_after, Some(1), "409 says when to retry");
        in_progress += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn twenty_parallel_sends_of_one_redemption_take_the_points_once() {
    let (stack, shop, rule) = setup("twenty").await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let replies = join_all((0..20).map(|_| until_answered(&stack, &shop, "order-1234-redeem", body.clone()))).await;
    let waited: usize = replies.iter().map(|(_, n)| n).sum();
    let first = &replies[0].0;
    assert_eq!(first.status, 200, "{:?}", first.body);
    for (reply, _) in &replies {
        assert_eq!((reply.status, &reply.body), (first.status, &first.body), "every answer is the first answer");
    }
    assert_eq!(replies.iter().filter(|(r, _)| !r.replayed).count(), 1, "one request ran; the others were replayed");
    println!("20 sends: 1 ran, 19 replayed, {waited} answers of 409 REQUEST_IN_PROGRESS on the way");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 900, "one debit");
    assert_eq!(stack.discounts(&shop).await.len(), 1, "one code");
    stack.assert_audit_clean(&shop).await;
}

/// The same when the balance covers one redemption only: a send that reads the balance after the first
/// one's debit is not refused for want of points; it is answered as the key says.
#[tokio::test]
async fn twenty_parallel_sends_for_a_balance_of_one_reward_all_get_the_first_answer() {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00"});
    let (stack, shop, rule) = Stack::with_rule("twenty-of-one", rule, &[(CUSTOMER, 100)]).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let replies = join_all((0..20).map(|_| until_answered(&stack, &shop, "double-click", body.clone()))).await;
    let ran: Vec<&Reply> = replies.iter().map(|(r, _)| r).filter(|r| !r.replayed).collect();
    assert_eq!(ran.len(), 1, "{:?}", replies.iter().map(|(r, _)| (r.status, r.code().to_string())).collect::<Vec<_>>());
    for (reply, _) in &replies {
        assert_eq!((reply.status, &reply.body), (ran[0].status, &ran[0].body), "every answer is the first answer");
    }
    assert_eq!((ran[0].status, stack.balance(&shop, CUSTOMER).await), (200, 0));
}

#[tokio::test]
async fn a_key_means_one_request_of_one_shop() {
    let (stack, shop, rule) = setup("reuse").await;
    let first = stack.post_once(&shop.key, "k-1", REDEEM, json!({"customerId": CUSTOMER, "redeemRuleId": rule})).await;
    assert_eq!(first.status, 200);
    // The same request with other spacing and field order is the same request.
    let same = stack.post_once(&shop.key, "k-1", REDEEM, json!({"redeemRuleId": rule, "customerId": CUSTOMER})).await;
    assert!(same.replayed && same.body == first.body);
    let other = stack
        .post_once(&shop.key, "k-1", REDEEM, json!({"customerId": CUSTOMER, "redeemRuleId": rule, "points": 100}))
        .await;
    assert_eq!((other.status, other.code()), (422, "IDEMPOTENCY_KEY_REUSED"));
    let add = stack
        .post_once(
            &shop.key,
            "k-1",
            "/api/external/add-points",
            json!({"customerId": CUSTOMER, "points": 5, "reason": "x"}),
        )
        .await;
    assert_eq!((add.status, add.code()), (422, "IDEMPOTENCY_KEY_REUSED"), "another endpoint is another request");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 900);

    // Keys are per shop: another shop's request with the same key is its own.
    let second = stack.shop("reuse-too").await;
    let its_rule = stack.rule(&second, json!({"name": "r", "rewardType": "FREE_SHIPPING", "pointsCost": 10})).await;
    stack.customer(&second, CUSTOMER, 10).await;
    let theirs =
        stack.post_once(&second.key, "k-1", REDEEM, json!({"customerId": CUSTOMER, "redeemRuleId": its_rule})).await;
    assert_eq!(theirs.status, 200, "{:?}", theirs.body);
    assert!(!theirs.replayed);
    let bad = stack.post_once(&shop.key, "has space", REDEEM, json!({})).await;
    assert_eq!((bad.status, bad.code()), (400, "INVALID_REQUEST"));
}

#[tokio::test]
async fn retried_adjustments_enrollments_and_rules_happen_once() {
    let (stack, shop, _) = setup("writes").await;
    let add = json!({"customerId": CUSTOMER, "points": 250, "reason": "goodwill"});
    for _ in 0..3 {
        let reply = stack.post_once(&shop.key, "add-1", "/api/external/add-points", add.clone()).await;
        assert_eq!((reply.status, reply.body["availablePoints"].as_i64()), (200, Some(1250)));
    }
    let remove = json!({"customerId": CUSTOMER, "points": 2000, "reason": "too much"});
    for _ in 0..2 {
        let reply = stack.post_once(&shop.key, "remove-1", "/api/external/remove-points", remove.clone()).await;
        assert_eq!((reply.status, reply.code()), (400, "INSUFFICIENT_POINTS"), "a refusal is an answer too");
    }
    let enroll = json!({"customerId": 9, "email": "nine@example.com"});
    for _ in 0..2 {
        let reply = stack.post_once(&shop.key, "enroll-9", "/api/external/customers", enroll.clone()).await;
        assert_eq!(reply.status, 201, "the retry gets the first answer, not CUSTOMER_ALREADY_ENROLLED");
    }
    let rule = json!({"name": "Free shipping", "rewardType": "FREE_SHIPPING", "pointsCost": 300});
    let ids: Vec<_> = join_all(
        (0..2).map(|_| stack.post_once(&shop.key, "rule-1", "/api/external/point-redeem-rules", rule.clone())),
    )
    .await
    .into_iter()
    .filter(|r| r.status == 201)
    .map(|r| r.body["id"].clone())
    .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]), "{ids:?}");
    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    assert_eq!(rules.body.as_array().unwrap().len(), 2, "one rule was added");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 1250);
    assert_eq!(stack.ledger(&shop.domain, CUSTOMER).await.len(), 2);
}

/// The attributes of a key's record as DynamoDB holds them, and its size as DynamoDB counts it (names and
/// values; its numbers taken at their digits, more than DynamoDB counts).
async fn key_record(stack: &Stack, shop: &TestShop, key: &str) -> (Vec<String>, usize) {
    use aws_sdk_dynamodb::types::AttributeValue::{B, N, S};
    let (pk, sk) = tally_store::keys::idempotency(&shop.id, key);
    let client = tally_config::dynamodb_client(Some(&tally_tests::dynamodb_endpoint())).unwrap();
    let read = client.get_item().table_name(stack.store.table()).key("PK", S(pk)).key("SK", S(sk));
    let item = read.send().await.unwrap().item.expect("the key's record");
    let size = item.iter().map(|(name, value)| match value {
        S(s) | N(s) => name.len() + s.len(),
        B(b) => name.len() + b.as_ref().len(),
        _ => name.len() + 1,
    });
    let size = size.sum();
    let mut names: Vec<String> = item.into_keys().collect();
    names.sort();
    (names, size)
}

/// A redemption's answer is kept by the transaction that takes its points, as a promise that holds once
/// Shopify has issued the reward: after Shopify's answer only the reward's outcome is written. A retry gets
/// the first answer byte for byte, Shopify's id of the code in it. Once the answer lists so many rewards
/// that the key's record would be over one KB, it is kept by a write of its own, as before, and the retry
/// is the same.
#[tokio::test]
async fn a_redemption_s_answer_is_promised_with_its_points_and_a_retry_gets_it_byte_for_byte() {
    let (stack, shop, rule) = setup("promised").await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let first = stack.post_once(&shop.key, "promise-1", REDEEM, body.clone()).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    let shopify_id = first.body["reward"]["discountCodeId"].as_str().unwrap_or_default().to_string();
    assert!(shopify_id.starts_with("gid://shopify/"), "Shopify's id of the code: {shopify_id}");
    assert!(!first.text.contains("tally:shopify-id"), "no placeholder is ever sent");
    let (record, bytes) = key_record(&stack, &shop, "promise-1").await;
    assert!(record.contains(&"promiseZ".to_string()), "promised with the points: {record:?}");
    assert!(!record.contains(&"responseBodyZ".to_string()), "and written no more: {record:?}");
    println!("a promised answer of {} bytes: the key's record is {bytes} bytes", first.text.len());
    assert!(bytes <= 1024, "one KB, two write units in the transaction: {bytes} bytes");
    let again = stack.post_once(&shop.key, "promise-1", REDEEM, body.clone()).await;
    assert!(again.replayed, "{:?}", again.body);
    assert_eq!((again.status, &again.text), (200, &first.text), "the first answer, byte for byte");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 900, "one debit");

    let add = json!({"customerId": CUSTOMER, "points": 4000, "reason": "many rewards"});
    assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
    for n in 2..=40 {
        let key = format!("promise-{n}");
        let reply = stack.post_once(&shop.key, &key, REDEEM, body.clone()).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        let (record, bytes) = key_record(&stack, &shop, &key).await;
        if record.contains(&"promiseZ".to_string()) {
            assert!(bytes <= 1024, "{n} rewards: {bytes} bytes");
            continue;
        }
        assert!(record.contains(&"responseBodyZ".to_string()), "kept after Shopify's: {record:?}");
        println!(
            "promised while the answer listed up to {} rewards; {n} ({} bytes) kept after",
            n - 1,
            reply.text.len()
        );
        let again = stack.post_once(&shop.key, &key, REDEEM, body).await;
        assert_eq!((again.replayed, &again.text), (true, &reply.text), "the first answer, byte for byte");
        stack.assert_audit_clean(&shop).await;
        return;
    }
    panic!("forty rewards listed and still promised in one KB");
}
