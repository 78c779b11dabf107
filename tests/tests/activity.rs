//! The activity log over HTTP: every change of a customer's balance, newest first, paged with an opaque
//! cursor that only works for its own customer and shop.

use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 8080;

async fn page(stack: &Stack, shop: &TestShop, query: &str) -> tally_tests::Reply {
    stack.get(&shop.key, &format!("/api/external/customer-activity?{query}")).await
}

#[tokio::test]
async fn the_activity_log_pages_to_the_end_newest_first_with_orders_and_rewards() {
    let rule = json!({"name": "$6 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 600, "discountValue": "6.00"});
    let (stack, shop, rule) = Stack::with_rule("activity", rule, &[(CUSTOMER, 1000), (CUSTOMER + 1, 10)]).await;
    for n in 1..=6 {
        let add = json!({"customerId": CUSTOMER, "points": n * 10, "reason": format!("visit {n}")});
        assert_eq!(stack.post(&shop.key, "/api/external/add-points", add).await.status, 200);
    }
    let remove = json!({"customerId": CUSTOMER, "points": 5, "reason": "correction"});
    assert_eq!(stack.post(&shop.key, "/api/external/remove-points", remove).await.status, 200);
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": true});
    let reserved = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(reserved.status, 200, "{}", reserved.text);
    let reward_id = reserved.body["reward"]["id"].as_u64().unwrap();
    let code = reserved.body["reward"]["discountCode"].as_str().unwrap();
    let placed = stack.order(&shop, json!({"codes": [code], "customerId": CUSTOMER})).await;
    let order_id = placed["order"]["id"].as_u64().expect("an order");

    // 1 enrollment credit + 6 additions + 1 removal + the reservation + its payment by the order: 10.
    let mut entries: Vec<Value> = Vec::new();
    let mut query = format!("customerId={CUSTOMER}&limit=3");
    let mut pages = 0;
    loop {
        let reply = page(&stack, &shop, &query).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let got = reply.body["entries"].as_array().unwrap();
        assert!(got.len() <= 3 && !got.is_empty(), "{}", reply.text);
        entries.extend(got.iter().cloned());
        pages += 1;
        match reply.body["nextCursor"].as_str() {
            Some(cursor) => query = format!("customerId={CUSTOMER}&limit=3&cursor={cursor}"),
            None => break,
        }
    }
    assert_eq!((entries.len(), pages), (10, 4), "every change, on 3 + 3 + 3 + 1");
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(&kinds[..3], ["RESERVATION_SPENT", "RESERVE", "DEBIT"], "newest first");
    assert_eq!(kinds[9], "CREDIT");
    let spent = &entries[0];
    assert_eq!((spent["rewardId"].as_u64(), spent["orderId"].as_u64()), (Some(reward_id), Some(order_id)));
    assert_eq!((entries[1]["points"].as_i64(), entries[1]["balanceAfter"].as_i64()), (Some(-600), Some(605)));
    assert_eq!((entries[2]["points"].as_i64(), entries[2]["reason"].as_str()), (Some(-5), Some("correction")));
    assert!(entries[3]["orderId"].is_null() && entries[3]["rewardId"].is_null(), "{}", entries[3]);
    assert!(entries.iter().all(|e| e["createdAt"].as_str().is_some_and(|t| t.ends_with('Z'))));
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(entries[0]["balanceAfter"], loyalty["availablePoints"], "the newest entry is the balance now");

    // A cursor is its customer's and its shop's alone; a made-up one is refused too.
    let first = page(&stack, &shop, &format!("customerId={CUSTOMER}&limit=3")).await;
    let cursor = first.body["nextCursor"].as_str().unwrap().to_string();
    let other_customer = page(&stack, &shop, &format!("customerId={}&cursor={cursor}", CUSTOMER + 1)).await;
    assert_eq!((other_customer.status, other_customer.code()), (400, "INVALID_REQUEST"), "{}", other_customer.text);
    let other_shop = stack.shop("activity-other").await;
    stack.customer(&other_shop, CUSTOMER, 10).await;
    let elsewhere = page(&stack, &other_shop, &format!("customerId={CUSTOMER}&cursor={cursor}")).await;
    assert_eq!((elsewhere.status, elsewhere.code()), (400, "INVALID_REQUEST"), "{}", elsewhere.text);
    for bad in ["cursor=abc", "limit=0", "limit=101"] {
        let refused = page(&stack, &shop, &format!("customerId={CUSTOMER}&{bad}")).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{bad}: {}", refused.text);
    }
    let unknown = page(&stack, &shop, "customerId=999999").await;
    assert_eq!((unknown.status, unknown.code()), (404, "CUSTOMER_NOT_FOUND"));
}
