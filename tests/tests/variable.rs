//! Variable-points rules over HTTP: the customer chooses how many points to spend, within the rule's range
//! and step, and the reward is worth exactly that many steps; anything else is `400 INVALID_POINTS`, naming
//! the range, with nothing taken.

use serde_json::json;
use tally_tests::Stack;

const CUSTOMER: u64 = 4400;

#[tokio::test]
async fn points_within_the_range_and_step_buy_exactly_their_value_and_others_are_refused() {
    let stack = Stack::start().await;
    let shop = stack.shop("variable").await;
    let rule = json!({"name": "Points off", "rewardType": "FIXED_AMOUNT",
                      "variable": {"pointsStep": 100, "valuePerStep": "0.75", "minPoints": 200, "maxPoints": 2000}});
    let rule = stack.rule(&shop, rule).await;
    let credit = json!({"name": "Points to credit", "rewardType": "STORE_CREDIT",
                        "variable": {"pointsStep": 50, "valuePerStep": 0.5, "minPoints": 50, "maxPoints": 500}});
    let credit = stack.rule(&shop, credit).await;
    stack.customer(&shop, CUSTOMER, 5000).await;

    // The rule reads back as it was given, with no pointsCost, so a PUT of it is accepted.
    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    let shown = rules.body.as_array().unwrap().iter().find(|r| r["id"] == rule).unwrap().clone();
    assert!(shown.get("pointsCost").is_none(), "{shown}");
    assert!(rules
        .text
        .contains(r#""variable":{"pointsStep":100,"valuePerStep":0.75,"minPoints":200,"maxPoints":2000}"#));
    let put = stack.put(&shop.key, &format!("/api/external/point-redeem-rules/{rule}"), shown).await;
    assert_eq!(put.status, 200, "{}", put.text);

    let redeem = |points: Option<i64>, rule: u64| {
        let mut body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
        if let Some(points) = points {
            body["points"] = json!(points);
        }
        stack.post(&shop.key, "/api/external/redeem-points", body)
    };
    let three_steps = redeem(Some(300), rule).await;
    assert_eq!(three_steps.status, 200, "{}", three_steps.text);
    assert_eq!(three_steps.body["availablePoints"], 4700);
    assert_eq!(three_steps.body["reward"]["pointsRedeemed"], 300);
    assert!(three_steps.text.contains(r#""amount":2.25"#), "3 × 0.75: {}", three_steps.text);
    let code = three_steps.body["reward"]["discountCode"].as_str().unwrap();
    let discounts = stack.discounts(&shop).await;
    let discount = discounts.iter().find(|d| d["code"] == code).expect("the code is in Shopify");
    assert_eq!(discount["value"]["discountAmount"]["amount"], "2.25", "Shopify gives what the points bought");

    let the_most = redeem(Some(2000), rule).await;
    assert!(the_most.text.contains(r#""amount":15.00"#), "{}", the_most.text);
    let credited = redeem(Some(150), credit).await;
    assert_eq!(credited.status, 200, "{}", credited.text);
    assert!(credited.text.contains(r#""storeCreditBalance":1.5"#), "3 × 0.5 credited: {}", credited.text);

    let balance = stack.balance(&shop, CUSTOMER).await;
    for (points, why) in [(Some(100), "below"), (Some(2100), "above"), (Some(250), "off the step"), (None, "none")] {
        let refused = redeem(points, rule).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_POINTS"), "{why}: {}", refused.text);
        assert_eq!(refused.body["error"]["message"], "Points must be a multiple of 100 from 200 to 2000", "{why}");
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, balance, "nothing was taken");

    // A rule is fixed or variable, and variable only where an amount is given.
    for (body, why) in [
        (
            json!({"name": "r", "rewardType": "FIXED_AMOUNT", "pointsCost": 100,
                "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 100, "maxPoints": 200}}),
            "both",
        ),
        (
            json!({"name": "r", "rewardType": "FREE_SHIPPING",
                "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 100, "maxPoints": 200}}),
            "type",
        ),
        (
            json!({"name": "r", "rewardType": "FIXED_AMOUNT",
                "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 150, "maxPoints": 200}}),
            "range",
        ),
        (json!({"name": "r", "rewardType": "FIXED_AMOUNT"}), "neither"),
    ] {
        let refused = stack.post(&shop.key, "/api/external/point-redeem-rules", body).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{why}: {}", refused.text);
    }
}

#[tokio::test]
async fn a_shopper_chooses_the_points_in_the_portal() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let rule = json!({"name": "Points off", "rewardType": "FIXED_AMOUNT",
                      "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 100, "maxPoints": 3000}});
    let rule = stack.rule(&shop, rule).await;
    let options = stack.portal(&shop, Some(1002), "point-redeem-rules", None, None).await;
    let option = options.body.as_array().unwrap().iter().find(|o| o["id"] == rule).unwrap().clone();
    assert_eq!((option["available"].as_bool(), option["variable"]["maxPoints"].as_i64()), (Some(true), Some(3000)));

    let body = json!({"redeemRuleId": rule, "points": 400});
    let redeemed = stack.portal(&shop, Some(1002), "redeem-points", Some(body), None).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text);
    assert_eq!(redeemed.body["availablePoints"], 0);
    assert!(redeemed.text.contains(r#""amount":4,"#), "{}", redeemed.text);
    let body = json!({"redeemRuleId": rule, "points": 450});
    let refused = stack.portal(&shop, Some(1001), "redeem-points", Some(body), None).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_POINTS"), "{}", refused.text);
}
