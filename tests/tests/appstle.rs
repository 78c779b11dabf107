//! Appstle's calls around a redemption, each sent as Appstle's documentation and integration guide show it
//! (developers.appstle.com), and read as an Appstle client reads the answer.

use serde_json::json;
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 12345;

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00",
        "expiresAfterDays": 30});
    Stack::with_rule(name, rule, &[(CUSTOMER, 500)]).await
}

/// The guide's "Add points": the shop, the customer, the points and a note for the customer's history.
#[tokio::test]
async fn add_points_with_the_guide_s_body_labels_the_history_with_the_note() {
    let (stack, shop, _) = setup("appstle-add").await;
    let body = json!({"shop": shop.domain, "customerId": CUSTOMER, "points": 100, "note": "VIP welcome bonus"});
    let added = stack.post(&shop.key, "/api/external/add-points", body).await;
    assert_eq!((added.status, added.body["availablePoints"].as_i64()), (200, Some(600)), "{:?}", added.body);
    let ledger = stack.ledger(&shop.domain, CUSTOMER).await;
    assert_eq!(ledger.last().map(|e| e.reason.as_str()), Some("VIP welcome bonus"));

    // The reference's optional earn rule, with a fractional-looking whole number.
    let body = json!({"customerId": CUSTOMER, "points": 50.0, "earnRuleId": 10});
    let added = stack.post(&shop.key, "/api/external/add-points", body).await;
    assert_eq!((added.status, added.body["availablePoints"].as_i64()), (200, Some(650)), "{:?}", added.body);
    assert_eq!(
        stack.ledger(&shop.domain, CUSTOMER).await.last().map(|e| e.reason.clone()),
        Some("points added".into())
    );

    // A reason and a note that say different things are one too many.
    let both = json!({"customerId": CUSTOMER, "points": 5, "note": "a", "reason": "b"});
    let refused = stack.post(&shop.key, "/api/external/add-points", both).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 650, "nothing changed");
}

/// The reference's "Remove points": `{"points": 50}` and the customer, no reason.
#[tokio::test]
async fn remove_points_needs_no_reason() {
    let (stack, shop, _) = setup("appstle-remove").await;
    let removed =
        stack.post(&shop.key, "/api/external/remove-points", json!({"customerId": CUSTOMER, "points": 50})).await;
    assert_eq!((removed.status, removed.body["availablePoints"].as_i64()), (200, Some(450)), "{:?}", removed.body);
    assert_eq!(
        stack.ledger(&shop.domain, CUSTOMER).await.last().map(|e| (e.delta, e.reason.clone())),
        Some((-50, "points removed".into()))
    );
}

/// The guide's lookup (`?shop=…&customer_id=…`), a tier as an empty string when there is none, and the
/// rewards filtered by status as `status=UNUSED,USED` asks; a reward in Appstle's words.
#[tokio::test]
async fn customer_loyalty_reads_as_the_guide_asks_and_answers_in_appstle_s_words() {
    let (stack, shop, rule) = setup("appstle-loyalty").await;
    for _ in 0..2 {
        let redeemed = stack
            .post(&shop.key, "/api/external/redeem-points", json!({"customerId": CUSTOMER, "redeemRuleId": rule}))
            .await;
        assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    }
    let rewards = stack.get(&shop.key, &format!("/api/external/customer-loyalty?customerId={CUSTOMER}")).await;
    let id = rewards.body["rewards"][0]["id"].as_u64().unwrap();
    let refund = json!({"customerId": CUSTOMER});
    assert_eq!(stack.post(&shop.key, &format!("/api/external/rewards/{id}/refund"), refund).await.status, 200);

    let path = format!("/api/external/customer-loyalty?shop={}&customer_id={CUSTOMER}", shop.domain);
    let loyalty = stack.get(&shop.key, &path).await;
    assert_eq!(loyalty.status, 200, "{:?}", loyalty.body);
    assert_eq!(loyalty.body["currentVipTier"], "", "no tier is an empty string");
    assert_eq!(loyalty.body["availablePoints"], 400);
    let reward = &loyalty.body["rewards"][1];
    assert_eq!((reward["discountType"].as_str(), reward["discountValue"].as_f64()), (Some("FIXED"), Some(5.0)));
    assert_eq!(reward["expiryDate"], reward["expireDate"]);
    assert!(reward["expiryDate"].is_string());

    let unused = stack.get(&shop.key, &format!("{path}&status=UNUSED,USED")).await;
    let statuses: Vec<&str> =
        unused.body["rewards"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["UNUSED"], "the refunded one is left out");
    let bad = stack.get(&shop.key, &format!("{path}&status=UNUSED,SOLD")).await;
    assert_eq!((bad.status, bad.code()), (400, "INVALID_REQUEST"));
    let two = stack.get(&shop.key, &format!("{path}&customerId={}", CUSTOMER + 1)).await;
    assert_eq!((two.status, two.code()), (400, "INVALID_REQUEST"), "two different ids");
}
