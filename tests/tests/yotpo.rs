//! Yotpo's own loyalty API (seed 002, loyaltyapi.yotpo.com), sent as Yotpo's clients send it: the key in
//! `x-api-key` beside `x-guid`, or `?merchant_id=…&api_key=…` as Yotpo's guide shows; Yotpo's field names.

use serde_json::{json, Value};
use tally_tests::{Reply, Stack, TestShop};

const CUSTOMER: u64 = 5150;
const EMAIL: &str = "c5150@example.com";

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "$5.00 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00",
        "expiresAfterDays": 30});
    Stack::with_rule(name, rule, &[(CUSTOMER, 1200)]).await
}

async fn yotpo(stack: &Stack, shop: &TestShop, method: &str, path: &str, body: Option<Value>) -> Reply {
    let url = format!("{}{path}", stack.api);
    let request = match method {
        "POST" => stack.http.post(url).json(&body.unwrap_or(Value::Null)),
        _ => stack.http.get(url),
    };
    stack.send(request.header("x-guid", "any-guid").header("x-api-key", &shop.key)).await
}

/// Seed 002's "Create Redemption" with delayed deduction: the code in `reward_text`, the points held until
/// the order that uses it arrives, then spent.
#[tokio::test]
async fn seed_002_create_redemption_with_delayed_deduction_spends_the_points_when_the_order_comes() {
    let (stack, shop, option) = setup("yotpo-delayed").await;
    let body = json!({"customer_email": EMAIL, "redemption_option_id": option, "delay_points_deduction": true,
        "currency": "USD"});
    let created = yotpo(&stack, &shop, "POST", "/api/v2/redemptions", Some(body)).await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    let code = created.body["reward_text"].as_str().unwrap().to_string();
    assert_eq!(
        (
            &created.body["redemption_option_id"],
            &created.body["cost_in_points"],
            &created.body["delay_points_deduction"]
        ),
        (&json!(option), &json!(500), &json!(true))
    );
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 700, "the points are held, not available");

    let placed = stack.order(&shop, json!({"codes": [code], "customerId": CUSTOMER})).await;
    assert_eq!(placed["deliveries"][0]["status"], 200, "{placed}");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!((&loyalty["availablePoints"], &loyalty["reservedPoints"]), (&json!(700), &json!(0)), "spent");
}

/// The query-string key of Yotpo's guide, Yotpo's identifiers, a variable option's `points`, the currency
/// checked, and errors in Yotpo's shape.
#[tokio::test]
async fn yotpo_s_identifiers_key_forms_and_refusals() {
    let (stack, shop, option) = setup("yotpo-forms").await;
    let variable = stack
        .rule(
            &shop,
            json!({"name": "Dollars", "rewardType": "FIXED_AMOUNT",
            "variable": {"pointsStep": 100, "valuePerStep": 1, "minPoints": 100, "maxPoints": 1000}}),
        )
        .await;
    let by_query = format!("{}/api/v2/redemptions?merchant_id=1111&api_key={}", stack.api, shop.key);
    let body = json!({"customer_external_id": CUSTOMER.to_string(), "redemption_option_id": variable, "points": 300});
    let created = stack.send(stack.http.post(by_query).json(&body)).await;
    assert_eq!(created.status, 200, "{:?}", created.body);
    assert_eq!((&created.body["amount"], &created.body["points_balance"]), (&json!(3), &json!(900)));

    for (body, status, code) in [
        (json!({"customer_email": EMAIL, "redemption_option_id": option, "currency": "EUR"}), 400, "INVALID_REQUEST"),
        (
            json!({"customer_email": EMAIL, "phone_number": "+14155550100", "redemption_option_id": option}),
            400,
            "INVALID_REQUEST",
        ),
        (json!({"customer_email": "nobody@example.com", "redemption_option_id": option}), 404, "CUSTOMER_NOT_FOUND"),
        (json!({"customer_email": EMAIL, "redemption_option_id": 99}), 404, "RULE_NOT_FOUND"),
        (json!({"customer_email": EMAIL, "redemption_option_id": variable}), 400, "INVALID_POINTS"),
        (
            json!({"customer_email": EMAIL, "redemption_option_id": option, "points": 500, "extra": 1}),
            400,
            "INVALID_REQUEST",
        ),
    ] {
        let refused = yotpo(&stack, &shop, "POST", "/api/v2/redemptions", Some(body.clone())).await;
        assert_eq!((refused.status, &refused.body["code"]), (status, &json!(code)), "{body}: {:?}", refused.body);
        assert!(refused.body["error"].is_string(), "{:?}", refused.body);
    }
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 900, "nothing changed");
    let keyless =
        stack.send(stack.http.get(format!("{}/api/v2/customer_details?customer_email={EMAIL}", stack.api))).await;
    assert_eq!((keyless.status, &keyless.body["code"]), (401, &json!("UNAUTHORIZED")));
}

/// The options (all, a customer's, one discount type) and the customer record.
#[tokio::test]
async fn redemption_options_and_customer_details_read_in_yotpo_s_words() {
    let (stack, shop, option) = setup("yotpo-reads").await;
    stack.rule(&shop, json!({"name": "Free shipping", "rewardType": "FREE_SHIPPING", "pointsCost": 5000})).await;
    let all = yotpo(&stack, &shop, "GET", "/api/v2/redemption_options", None).await;
    assert_eq!(all.body.as_array().map(Vec::len), Some(2), "{:?}", all.body);
    assert_eq!(
        (&all.body[0]["id"], &all.body[0]["name"], &all.body[0]["cost_text"], &all.body[0]["amount"]),
        (&json!(option), &json!("$5.00 off"), &json!("500 points"), &json!("5.00"))
    );
    let theirs = yotpo(&stack, &shop, "GET", &format!("/api/v2/redemption_options?customer_email={EMAIL}"), None).await;
    assert_eq!(theirs.body.as_array().map(Vec::len), Some(1), "1,200 points do not buy free shipping");
    let shipping = yotpo(&stack, &shop, "GET", "/api/v2/redemption_options?discount_type=free_shipping", None).await;
    assert_eq!(shipping.body[0]["name"], "Free shipping");
    let unknown = yotpo(&stack, &shop, "GET", "/api/v2/redemption_options?discount_type=gift_card", None).await;
    assert_eq!((unknown.status, &unknown.body["code"]), (400, &json!("INVALID_REQUEST")));

    let details = yotpo(&stack, &shop, "GET", &format!("/api/v2/customer_details?customer_email={EMAIL}"), None).await;
    assert_eq!(details.status, 200, "{:?}", details.body);
    assert_eq!(
        (&details.body["email"], &details.body["points_balance"], &details.body["is_member"]),
        (&json!(EMAIL), &json!(1200), &json!(true))
    );
    let missing = yotpo(&stack, &shop, "GET", "/api/v2/customer_details", None).await;
    assert_eq!((missing.status, &missing.body["code"]), (400, &json!("INVALID_REQUEST")));
}
