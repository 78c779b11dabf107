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

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64, delayed: bool) -> serde_json::Value {
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule, "delayPointsDeduction": delayed});
    let redeemed = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    redeemed.body["reward"].clone()
}

/// The reference's `check-discount`: a code of the customer's that can be used, and the refusals.
#[tokio::test]
async fn check_discount_answers_with_the_reward_or_says_why_not() {
    let (stack, shop, rule) = setup("appstle-check").await;
    stack.customer(&shop, CUSTOMER + 1, 0).await;
    let reward = redeem(&stack, &shop, rule, false).await;
    let code = reward["discountCode"].as_str().unwrap().to_lowercase();
    let checked = stack
        .put(&shop.key, "/api/external/check-discount", json!({"customerId": CUSTOMER, "discountCode": code}))
        .await;
    assert_eq!(checked.status, 200, "{:?}", checked.body);
    assert_eq!((checked.body["id"].clone(), checked.body["status"].as_str()), (reward["id"].clone(), Some("UNUSED")));
    assert_eq!(checked.body["discountType"], "FIXED");
    assert!(checked.body["shopifyDiscountCodeId"].as_str().is_some_and(|id| id.starts_with("gid://shopify/")));

    let theirs = stack
        .put(&shop.key, "/api/external/check-discount", json!({"customerId": CUSTOMER + 1, "discountCode": code}))
        .await;
    assert_eq!(
        (theirs.status, theirs.code()),
        (404, "DISCOUNT_CODE_NOT_FOUND"),
        "another customer's code is none of theirs"
    );
    let unknown = stack
        .put(&shop.key, "/api/external/check-discount", json!({"customerId": CUSTOMER, "discountCode": "NOPE"}))
        .await;
    assert_eq!((unknown.status, unknown.code()), (404, "DISCOUNT_CODE_NOT_FOUND"));

    let used = json!({"customerId": CUSTOMER, "discountCode": code, "status": "USED"});
    assert_eq!(stack.put(&shop.key, "/api/external/update-discount", used).await.status, 200);
    let again = stack
        .put(&shop.key, "/api/external/check-discount", json!({"customerId": CUSTOMER, "discountCode": code}))
        .await;
    assert_eq!((again.status, again.code()), (409, "DISCOUNT_CODE_NOT_USABLE"));
}

/// The reference's `update-discount`: USED once (a reservation spent), EXPIRED and REFUNDED as the job and
/// the refund do, the statuses Tally does not give refused, nothing changed by a refusal.
#[tokio::test]
async fn update_discount_sets_what_a_checkout_or_an_operator_says() {
    let (stack, shop, rule) = setup("appstle-update").await;
    let path = "/api/external/update-discount";
    let body = |reward: &serde_json::Value, status: &str| json!({"customerId": CUSTOMER, "discountCode": reward["discountCode"], "status": status});

    let delayed = redeem(&stack, &shop, rule, true).await;
    assert_eq!(stack.loyalty(&shop, CUSTOMER).await["reservedPoints"], 100);
    let used = stack.put(&shop.key, path, body(&delayed, "USED")).await;
    assert_eq!((used.status, used.body["status"].as_str()), (200, Some("USED")), "{:?}", used.body);
    assert!(used.body["usedAt"].is_string());
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((loyalty["reservedPoints"].as_i64(), loyalty["availablePoints"].as_i64()), (Some(0), Some(400)));
    let twice = stack.put(&shop.key, path, body(&delayed, "USED")).await;
    assert_eq!((twice.status, twice.code()), (409, "STATUS_NOT_APPLICABLE"), "a used code is not used again");
    let unused = stack.put(&shop.key, path, body(&delayed, "UNUSED")).await;
    assert_eq!((unused.status, unused.code()), (409, "STATUS_NOT_APPLICABLE"), "nor made unused");

    let ended = redeem(&stack, &shop, rule, false).await;
    let expired = stack.put(&shop.key, path, body(&ended, "EXPIRED")).await;
    assert_eq!((expired.status, expired.body["status"].as_str()), (200, Some("EXPIRED")), "{:?}", expired.body);
    let in_shopify = stack.discounts(&shop).await;
    let code = in_shopify.iter().find(|d| d["code"] == ended["discountCode"]).expect("the code in Shopify");
    assert_eq!(code["status"], "EXPIRED", "its code no longer works: {code}");

    let taken_back = redeem(&stack, &shop, rule, false).await;
    let refunded = stack.put(&shop.key, path, body(&taken_back, "REFUNDED")).await;
    assert_eq!((refunded.status, refunded.body["status"].as_str()), (200, Some("REFUNDED")), "{:?}", refunded.body);
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 300, "its points came back; the expired one's did not");

    let subscription = stack.put(&shop.key, path, body(&taken_back, "SUBSCRIPTION_ACTIVE")).await;
    assert_eq!((subscription.status, subscription.code()), (400, "INVALID_REQUEST"));
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 300);
}

/// The legacy `update-discount-code-status`: the code alone, answered with the loyalty information.
#[tokio::test]
async fn the_legacy_status_call_finds_the_code_alone() {
    let (stack, shop, rule) = setup("appstle-legacy").await;
    let reward = redeem(&stack, &shop, rule, false).await;
    let body = json!({"discountCode": reward["discountCode"], "status": "USED"});
    let answer = stack.put(&shop.key, "/api/external/update-discount-code-status", body).await;
    assert_eq!(answer.status, 200, "{:?}", answer.body);
    assert_eq!(
        (answer.body["customerId"].as_u64(), answer.body["availablePoints"].as_i64()),
        (Some(CUSTOMER), Some(400))
    );
    assert_eq!(answer.body["rewards"][0]["status"], "USED");
}

/// The call Appstle tells clients to make before redeeming: each rule in Appstle's fields and words, which a
/// client may `PUT` back as it read it; and a rule described in Appstle's words alone, as its export holds it.
#[tokio::test]
async fn redeem_rules_read_and_write_in_appstle_s_words() {
    let (stack, shop, five_off) = setup("appstle-rules").await;
    let dynamic = json!({"name": "$1 per 10 points", "type": "DYNAMIC_DISCOUNT", "discountType": "FIXED",
        "pointsCost": 10, "discount": 1, "enableMaximumPointsToRedeem": true, "requiredMaximumPointsToRedeem": 300,
        "customerFacingLabel": "Spend your points", "shop": shop.domain, "triggeredCount": 0, "productId": null,
        "redeemAllPoints": false, "combinedWithShippingDiscount": true});
    let dynamic = stack.rule(&shop, dynamic).await;

    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    assert_eq!(rules.status, 200);
    let by_id = |id: u64| rules.body.as_array().unwrap().iter().find(|r| r["id"] == id).unwrap().clone();
    let fixed = by_id(five_off);
    assert_eq!(
        (&fixed["type"], &fixed["discountType"], &fixed["discount"], &fixed["pointsCost"]),
        (&json!("DISCOUNT_CODE"), &json!("FIXED"), &json!(5.00), &json!(100))
    );
    assert_eq!((&fixed["customerFacingLabel"], &fixed["status"]), (&json!("$5 off"), &json!("ACTIVE")));
    assert_eq!((&fixed["combinedWithOrderDiscount"], &fixed["vipTierId"]), (&json!(false), &json!(null)));
    let spend = by_id(dynamic);
    assert_eq!(
        (&spend["type"], &spend["discount"], &spend["variable"]["pointsStep"]),
        (&json!("DYNAMIC_DISCOUNT"), &json!(1), &json!(10))
    );
    assert_eq!(
        (&spend["requiredMinimumPointsToRedeem"], &spend["requiredMaximumPointsToRedeem"]),
        (&json!(10), &json!(300))
    );
    assert_eq!(spend["combinedWithShippingDiscount"], json!(true));

    // What a client read, put back as it is, changes nothing; the same with Appstle's discount changed is a
    // 400 that changes nothing either.
    let path = format!("/api/external/point-redeem-rules/{dynamic}");
    let put = stack.put(&shop.key, &path, spend.clone()).await;
    assert_eq!((put.status, &put.body), (200, &spend));
    let mut changed = spend.clone();
    changed["discount"] = json!(2);
    let refused = stack.put(&shop.key, &path, changed).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{:?}", refused.body);
    let again = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    assert_eq!(again.body, rules.body);

    // The dynamic rule redeems as Appstle's does: the points chosen, $1 for each 10.
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": dynamic, "points": 70});
    let redeemed = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    assert_eq!(
        (&redeemed.body["reward"]["discountType"], &redeemed.body["reward"]["discountValue"]),
        (&json!("FIXED"), &json!(7))
    );
}
