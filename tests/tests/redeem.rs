//! Redemption end to end: the local API server, DynamoDB Local and the Shopify emulator.

use futures::future::join_all;
use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 67890;

fn fixed(cost: i64) -> Value {
    json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": cost, "discountValue": "5.00",
           "minimumSubtotal": "25.00", "expiresAfterDays": 30,
           "combinesWith": {"orderDiscounts": false, "productDiscounts": true, "shippingDiscounts": true}})
}

async fn redeem(stack: &Stack, shop: &TestShop, body: Value) -> tally_tests::Reply {
    stack.post(&shop.key, "/api/external/redeem-points", body).await
}

/// The customer's ledger sums to their balance, and each entry's balance-after agrees with the sum so far.
async fn assert_ledger_matches(stack: &Stack, shop: &TestShop, customer_id: u64) {
    let ledger = stack.ledger(&shop.domain, customer_id).await;
    let mut running = 0;
    for (i, entry) in ledger.iter().enumerate() {
        running += entry.delta;
        assert_eq!(entry.seq, i as u64 + 1, "the ledger has no gaps");
        assert_eq!(entry.balance_after, running, "entry {} records the balance after it", entry.seq);
    }
    assert_eq!(running, stack.balance(shop, customer_id).await, "the ledger sums to the balance");
}

#[tokio::test]
async fn every_reward_type_becomes_a_real_reward_in_shopify() {
    let stack = Stack::start().await;
    let shop = stack.shop("every-type").await;
    stack
        .control("POST", &format!("/__emulator/shops/{}/variants", shop.domain), json!({"id": 4242, "price": "19.99"}))
        .await;
    let fixed = stack.rule(&shop, fixed(500)).await;
    let percent = stack
        .rule(&shop, json!({"name": "15% off", "rewardType": "PERCENTAGE", "pointsCost": 700, "discountValue": "15"}))
        .await;
    let shipping =
        stack.rule(&shop, json!({"name": "Free shipping", "rewardType": "FREE_SHIPPING", "pointsCost": 300})).await;
    let product = stack
        .rule(&shop, json!({"name": "Free mug", "rewardType": "FREE_PRODUCT", "pointsCost": 900, "variantIds": [4242]}))
        .await;
    let credit = stack
        .rule(
            &shop,
            json!({"name": "$10 credit", "rewardType": "STORE_CREDIT", "pointsCost": 1000, "discountValue": "10.00"}),
        )
        .await;
    stack.customer(&shop, CUSTOMER, 5000).await;

    let first = redeem(&stack, &shop, json!({"customerId": CUSTOMER, "redeemRuleId": fixed, "points": 500})).await;
    assert_eq!(first.status, 200, "{:?}", first.body);
    assert_eq!(first.body["availablePoints"], 4500);
    let reward = &first.body["reward"];
    assert_eq!(reward["status"], "UNUSED");
    assert_eq!(reward["pointsRedeemed"], 500);
    assert_eq!(reward["amount"], json!(5.0));
    let code = reward["discountCode"].as_str().unwrap();
    assert!(code.starts_with("TEST-") && code[5..].bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()));
    for (rule, body) in [
        (percent, json!({"customerEmail": format!("c{CUSTOMER}@example.com"), "redeemRuleId": percent})),
        (shipping, json!({"customerId": CUSTOMER, "redeemRuleId": shipping})),
        (product, json!({"customerId": CUSTOMER, "redeemRuleId": product, "variantId": 4242})),
        (credit, json!({"customerId": CUSTOMER, "redeemRuleId": credit})),
    ] {
        let reply = redeem(&stack, &shop, body).await;
        assert_eq!(reply.status, 200, "rule {rule}: {:?}", reply.body);
    }

    let discounts = stack.discounts(&shop).await;
    assert_eq!(discounts.len(), 4, "four codes, and no code for store credit: {discounts:#?}");
    let by_code = |code: &str| discounts.iter().find(|d| d["code"] == code).cloned().unwrap();
    let basic = by_code(code);
    assert_eq!(basic["value"], json!({"discountAmount": {"amount": "5.00", "appliesOnEachItem": false}}));
    assert_eq!(basic["customer"], format!("gid://shopify/Customer/{CUSTOMER}"));
    assert_eq!(basic["usageLimit"], 1);
    assert_eq!(basic["minimumRequirement"]["subtotal"]["greaterThanOrEqualToSubtotal"], "25.00");
    assert_eq!(basic["combinesWith"]["productDiscounts"], true);
    assert_eq!(basic["endsAt"], reward["expireDate"]);
    assert!(discounts.iter().any(|d| d["value"] == json!({"percentage": 0.15})));
    assert!(discounts.iter().any(|d| d["type"] == "free_shipping"));
    let mug = discounts.iter().find(|d| d["items"]["products"].is_object()).unwrap();
    assert_eq!(mug["value"]["discountAmount"]["amount"], "19.99", "one unit of the variant, at its price");
    assert_eq!(mug["items"]["products"]["productVariantsToAdd"], json!(["gid://shopify/ProductVariant/4242"]));

    let state = stack.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await;
    assert_eq!(state["storeCredit"][0]["balance"], "10.00");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 5000 - 500 - 700 - 300 - 900 - 1000);
    assert_eq!(loyalty["storeCreditBalance"], json!(10.0));
    let statuses: Vec<&str> =
        loyalty["rewards"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == "UNUSED").count(), 4);
    assert_eq!(statuses.iter().filter(|s| **s == "USED").count(), 1, "store credit is delivered at once");
    assert_ledger_matches(&stack, &shop, CUSTOMER).await;
}

#[tokio::test]
async fn fifty_parallel_redemptions_on_a_balance_for_seven_give_exactly_seven() {
    let stack = Stack::start().await;
    let shop = stack.shop("race").await;
    let rule = stack.rule(&shop, fixed(100)).await;
    stack.customer(&shop, CUSTOMER, 799).await;

    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let replies = join_all((0..50).map(|_| redeem(&stack, &shop, body.clone()))).await;
    let ok = replies.iter().filter(|r| r.status == 200).count();
    let insufficient = replies.iter().filter(|r| r.status == 400 && r.code() == "INSUFFICIENT_POINTS").count();
    let others: Vec<_> = replies.iter().filter(|r| r.status != 200 && r.code() != "INSUFFICIENT_POINTS").collect();
    assert!(others.is_empty(), "every reply is a success or INSUFFICIENT_POINTS: {others:?}");
    assert_eq!((ok, insufficient), (7, 43));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 99);
    let codes: std::collections::HashSet<_> = stack.discounts(&shop).await.iter().map(|d| d["code"].clone()).collect();
    assert_eq!(codes.len(), 7, "seven distinct codes in Shopify");
    assert_ledger_matches(&stack, &shop, CUSTOMER).await;
}

#[tokio::test]
async fn when_shopify_fails_the_points_come_back_and_no_code_is_left() {
    let stack = Stack::start().await;
    let shop = stack.shop("outage").await;
    let rule = stack.rule(&shop, fixed(500)).await;
    stack.customer(&shop, CUSTOMER, 1000).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});

    for mode in ["error", "user_error", "throttle"] {
        stack.control("POST", "/__emulator/faults", json!({"mode": mode, "rate": 1.0})).await;
        let reply = redeem(&stack, &shop, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (503, "SHOPIFY_UNAVAILABLE"), "{mode}: {:?}", reply.body);
        assert_eq!(stack.balance(&shop, CUSTOMER).await, 1000, "{mode}: the balance is unchanged");
    }
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    assert!(stack.discounts(&shop).await.is_empty(), "no code was left in Shopify");

    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    let rewards = loyalty["rewards"].as_array().unwrap();
    assert_eq!(rewards.len(), 3);
    assert!(rewards.iter().all(|r| r["status"] == "FAILED" && r["failureReason"].is_string()), "{rewards:#?}");
    let ledger = stack.ledger(&shop.domain, CUSTOMER).await;
    let kinds: Vec<String> = ledger.iter().map(|e| format!("{:?}", e.kind)).collect();
    assert_eq!(kinds, ["Credit", "Redeem", "RedeemReversed", "Redeem", "RedeemReversed", "Redeem", "RedeemReversed"]);
    assert_ledger_matches(&stack, &shop, CUSTOMER).await;
}

#[tokio::test]
async fn a_retry_with_the_key_after_shopify_recovers_redeems() {
    let stack = Stack::start().await;
    let shop = stack.shop("outage-retry").await;
    let rule = stack.rule(&shop, fixed(500)).await;
    stack.customer(&shop, CUSTOMER, 1000).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0})).await;
    let down = stack.post_once(&shop.key, "retry-me", "/api/external/redeem-points", body.clone()).await;
    assert_eq!((down.status, down.code()), (503, "SHOPIFY_UNAVAILABLE"), "{:?}", down.body);
    let still_down = stack.post_once(&shop.key, "retry-me", "/api/external/redeem-points", body.clone()).await;
    assert_eq!(still_down.code(), "SHOPIFY_UNAVAILABLE", "down again: {:?}", still_down.body);
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let redeemed = stack.post_once(&shop.key, "retry-me", "/api/external/redeem-points", body.clone()).await;
    assert_eq!((redeemed.status, &redeemed.body["reward"]["status"]), (200, &json!("UNUSED")), "{:?}", redeemed.body);
    let again = stack.post_once(&shop.key, "retry-me", "/api/external/redeem-points", body).await;
    assert_eq!(again.body["reward"]["id"], redeemed.body["reward"]["id"], "and from then on the same answer");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 500, "the points were taken once");
    assert_eq!(stack.discounts(&shop).await.len(), 1);
    assert_ledger_matches(&stack, &shop, CUSTOMER).await;
}

#[tokio::test]
async fn a_lost_answer_or_a_brief_throttle_still_gives_exactly_one_code() {
    let stack = Stack::start().await;
    let shop = stack.shop("flaky").await;
    let rule = stack.rule(&shop, fixed(100)).await;
    stack.customer(&shop, CUSTOMER, 1000).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});

    // The discount is created but its answer never arrives: the lookup finds it.
    stack.control("POST", "/__emulator/faults", json!({"mode": "timeout", "count": 1})).await;
    let lost = redeem(&stack, &shop, body.clone()).await;
    assert_eq!(lost.status, 200, "{:?}", lost.body);
    // Throttled twice, then served: the client waits as Shopify asks and tries again.
    stack.control("POST", "/__emulator/faults", json!({"mode": "throttle", "count": 2})).await;
    let throttled = redeem(&stack, &shop, body.clone()).await;
    assert_eq!(throttled.status, 200, "{:?}", throttled.body);

    let discounts = stack.discounts(&shop).await;
    assert_eq!(discounts.len(), 2, "one code per redemption: {discounts:#?}");
    for reply in [&lost, &throttled] {
        assert_eq!(reply.body["reward"]["status"], "UNUSED");
        assert!(discounts.iter().any(|d| d["code"] == reply.body["reward"]["discountCode"]));
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 800);
}

#[tokio::test]
async fn one_shops_key_never_reaches_another_shops_customers() {
    let stack = Stack::start().await;
    let mine = stack.shop("mine").await;
    let theirs = stack.shop("theirs").await;
    let my_rule = stack.rule(&mine, fixed(100)).await;
    stack.rule(&theirs, fixed(100)).await;
    stack.customer(&theirs, CUSTOMER, 1000).await;

    let peek = stack.get(&mine.key, &format!("/api/external/customer-loyalty?customerId={CUSTOMER}")).await;
    assert_eq!((peek.status, peek.code()), (404, "CUSTOMER_NOT_FOUND"));
    let by_email =
        stack.get(&mine.key, &format!("/api/external/customer-loyalty?customerEmail=c{CUSTOMER}@example.com")).await;
    assert_eq!((by_email.status, by_email.code()), (404, "CUSTOMER_NOT_FOUND"));
    let spend = redeem(&stack, &mine, json!({"customerId": CUSTOMER, "redeemRuleId": my_rule})).await;
    assert_eq!((spend.status, spend.code()), (404, "CUSTOMER_NOT_FOUND"));
    for path in ["/api/external/add-points", "/api/external/remove-points"] {
        let adjust = stack.post(&mine.key, path, json!({"customerId": CUSTOMER, "points": 10, "reason": "x"})).await;
        assert_eq!((adjust.status, adjust.code()), (404, "CUSTOMER_NOT_FOUND"), "{path}");
    }
    let rules = stack.get(&mine.key, "/api/external/point-redeem-rules").await;
    assert_eq!(rules.body.as_array().unwrap().len(), 1, "only my own rule");

    assert_eq!(stack.balance(&theirs, CUSTOMER).await, 1000, "their customer is untouched");
    assert!(stack.discounts(&theirs).await.is_empty() && stack.discounts(&mine).await.is_empty());
}

#[tokio::test]
async fn store_credit_shopify_may_have_given_is_never_given_twice() {
    let stack = Stack::start().await;
    let shop = stack.shop("credit-once").await;
    let credit =
        json!({"name": "$10 credit", "rewardType": "STORE_CREDIT", "pointsCost": 1000, "discountValue": "10.00"});
    let rule = stack.rule(&shop, credit).await;
    stack.customer(&shop, CUSTOMER, 5000).await;
    // Shopify credits, then answers 503: the credit cannot be asked again as if nothing happened.
    stack.control("POST", "/__emulator/faults", json!({"mode": "error_after_done", "count": 1})).await;
    let reply = redeem(&stack, &shop, json!({"customerId": CUSTOMER, "redeemRuleId": rule})).await;
    assert_ne!(reply.status, 200, "its outcome is not known: {:?}", reply.body);
    let state = stack.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await;
    assert_eq!(state["storeCredit"][0]["balance"], "10.00", "credited once: {state}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 4000, "its points stay taken until it is settled");
}

/// A hundred redemptions at once for one customer whose balance affords exactly one: one reward, and each
/// other one refused cleanly (no points, or wait and retry), never a server error.
#[tokio::test]
async fn a_hundred_racing_redemptions_for_one_balance_make_one_reward() {
    let stack = Stack::start().await;
    let shop = stack.shop("contention").await;
    let rule = stack.rule(&shop, fixed(500)).await;
    stack.customer(&shop, CUSTOMER, 500).await;
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
    let keys: Vec<String> = (0..100).map(|n| format!("racer-{n}")).collect();
    let path = "/api/external/redeem-points";
    let racers = keys.iter().map(|k| stack.post_once(&shop.key, k, path, body.clone()));
    let replies = join_all(racers).await;
    let made: Vec<_> = replies.iter().filter(|r| r.status == 200).collect();
    assert_eq!(made.len(), 1, "{:?}", replies.iter().map(|r| (r.status, r.code().to_string())).collect::<Vec<_>>());
    for refused in replies.iter().filter(|r| r.status != 200) {
        let clean = matches!((refused.status, refused.code()), (400, "INSUFFICIENT_POINTS"))
            || (refused.status, refused.code(), refused.retry_after.is_some()) == (409, "REQUEST_IN_PROGRESS", true);
        assert!(clean, "{} {:?}", refused.status, refused.body);
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 0);
    assert_eq!(stack.discounts(&shop).await.len(), 1, "one code in Shopify");
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["rewardsCount"], 1);
    assert_ledger_matches(&stack, &shop, CUSTOMER).await;
}
