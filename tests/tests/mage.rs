//! Mage's own API (seed 003, developers.mageloyalty.com), sent as Mage's clients send it: the key in
//! `Authorization` with no `Bearer`, answers in JSON:API with Mage's statuses.

use serde_json::{json, Value};
use tally_domain::customer::CustomerStatus;
use tally_tests::{Stack, TestShop};

/// Seed 003's customer.
const CUSTOMER: u64 = 6_789_012_345;

async fn setup(name: &str) -> (Stack, TestShop, u64) {
    let rule = json!({"name": "£5 off your next order", "rewardType": "FIXED_AMOUNT", "pointsCost": 500,
        "discountValue": "5.00", "minimumSubtotal": 20, "expiresAfterDays": 30});
    Stack::with_rule(name, rule, &[(CUSTOMER, 700)]).await
}

async fn mage(stack: &Stack, key: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let url = format!("{}{path}", stack.api);
    let request = match method {
        "POST" => stack.http.post(url).json(&body.unwrap_or(Value::Null)),
        _ => stack.http.get(url),
    };
    let reply = stack.send(request.header("Authorization", key)).await;
    (reply.status, reply.body)
}

/// Seed 003's "Purchase a reward": its body, its `201` and its `reward_history_entry`; then its `422` with
/// Mage's error body, once the points are spent.
#[tokio::test]
async fn seed_003_purchase_answers_201_with_the_history_entry_and_422_when_points_run_short() {
    let (stack, shop, reward) = setup("mage-purchase").await;
    let path = format!("/v1/rewards/{reward}/purchase");
    let (status, body) =
        mage(&stack, &shop.key, "POST", &path, Some(json!({"customer_identifier": "6789012345"}))).await;
    assert_eq!(status, 201, "{body}");
    let entry = &body["data"];
    assert_eq!(entry["type"], "reward_history_entry");
    assert!(entry["id"].as_str().is_some_and(|id| !id.is_empty()));
    let a = &entry["attributes"];
    assert_eq!(
        (&a["reward_id"], &a["reward_name"], &a["reward_discount_type"], &a["points_spent"]),
        (&json!(reward.to_string()), &json!("£5 off your next order"), &json!("fixed_amount"), &json!(500))
    );
    assert!(a["discount_code"].as_str().is_some_and(|c| c.len() > 4), "{a}");
    assert_eq!((&a["status"], &a["is_refunded"], &a["redeemed_at"]), (&json!("active"), &json!(false), &json!(null)));
    assert!(a["expires_at"].is_string() && a["created_at"].is_string() && a["updated_at"].is_string(), "{a}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 200);
    let list = stack.http.get(format!("{}/v1/rewards", stack.api)).header("Authorization", &shop.key);
    let list = list.send().await.unwrap();
    assert_eq!(list.headers()["content-type"], "application/vnd.api+json", "JSON:API's media type");

    let (status, body) = mage(&stack, &shop.key, "POST", &path, Some(json!({"customer_identifier": CUSTOMER}))).await;
    assert_eq!(status, 422, "{body}");
    let error = &body["errors"][0];
    assert_eq!((&error["status"], &error["title"]), (&json!("422"), &json!("Insufficient points")));
    assert!(error["detail"].as_str().is_some_and(|d| d.contains("200") && d.contains("500")), "{error}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 200, "nothing changed");
}

/// Seed 003's other statuses: 400, 401, 403, 404, 503; a customer named by email.
#[tokio::test]
async fn seed_003_errors_answer_with_mage_s_statuses() {
    let (stack, shop, reward) = setup("mage-errors").await;
    let path = format!("/v1/rewards/{reward}/purchase");
    let by = |who: Value| Some(json!({"customer_identifier": who}));
    for (key, path, body, status) in [
        (shop.key.as_str(), path.as_str(), Some(json!({})), 400),
        (shop.key.as_str(), path.as_str(), by(json!("not an id")), 400),
        ("not-a-key", path.as_str(), by(json!(CUSTOMER)), 401),
        (shop.key.as_str(), path.as_str(), by(json!("404404")), 404),
        (shop.key.as_str(), "/v1/rewards/99/purchase", by(json!(CUSTOMER)), 404),
    ] {
        let (got, answer) = mage(&stack, key, "POST", path, body.clone()).await;
        assert_eq!(got, status, "{body:?}: {answer}");
        assert_eq!(answer["errors"][0]["status"], json!(status.to_string()), "{answer}");
    }

    // Shopify cannot make the code: 503, and the points stay.
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0})).await;
    let (status, answer) = mage(&stack, &shop.key, "POST", &path, by(json!(CUSTOMER))).await;
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    assert_eq!(status, 503, "{answer}");
    assert_eq!(stack.balance(&shop, CUSTOMER).await, 700);

    // By email, as Mage allows.
    let (status, answer) = mage(&stack, &shop.key, "POST", &path, by(json!("c6789012345@example.com"))).await;
    assert_eq!(status, 201, "{answer}");

    let mut customer = stack.customer_record(&shop.domain, CUSTOMER).await.unwrap();
    customer.status = CustomerStatus::Excluded;
    stack.put_customer(&shop.domain, &customer).await;
    let (status, answer) = mage(&stack, &shop.key, "POST", &path, by(json!(CUSTOMER))).await;
    assert_eq!((status, &answer["errors"][0]["code"]), (403, &json!("CUSTOMER_EXCLUDED")), "{answer}");
}

/// Mage's rewards list, paged as Mage pages (`page[number]`, `page[size]`, `meta`), and its customer object.
#[tokio::test]
async fn rewards_are_paged_and_a_customer_reads_as_mage_s_object() {
    let (stack, shop, _) = setup("mage-reads").await;
    for n in 1..=4 {
        stack
            .rule(&shop, json!({"name": format!("Ship {n}"), "rewardType": "FREE_SHIPPING", "pointsCost": 100 * n}))
            .await;
    }
    let (status, page) = mage(&stack, &shop.key, "GET", "/v1/rewards?page%5Bnumber%5D=2&page%5Bsize%5D=2", None).await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["meta"], json!({"total": 5, "page": 2, "per_page": 2, "total_pages": 3}));
    let names: Vec<&Value> = page["data"].as_array().unwrap().iter().map(|r| &r["attributes"]["name"]).collect();
    assert_eq!(names, [&json!("Ship 2"), &json!("Ship 3")]);
    assert_eq!(page["data"][0]["type"], "reward");
    let (_, first) = mage(&stack, &shop.key, "GET", "/v1/rewards", None).await;
    let five = &first["data"][0]["attributes"];
    assert_eq!(
        (&five["discount_type"], &five["points_cost"], &five["discount_amount"], &five["minimum_spend"]),
        (&json!("fixed_amount"), &json!(500), &json!(5.0), &json!(20))
    );
    let (status, _) = mage(&stack, &shop.key, "GET", "/v1/rewards?page%5Bsize%5D=101", None).await;
    assert_eq!(status, 400);
    let bearer = format!("bearer {}", shop.key);
    assert_eq!(
        mage(&stack, &bearer, "GET", "/v1/rewards", None).await.0,
        200,
        "a Bearer prefix, any case, is understood"
    );
    let (status, body) = mage(&stack, "", "GET", "/v1/rewards", None).await;
    assert_eq!(status, 401);
    assert!(body["errors"][0]["detail"].as_str().is_some_and(|d| d.contains("Authorization")), "{body}");

    for who in ["6789012345", "c6789012345@example.com"] {
        let (status, body) = mage(&stack, &shop.key, "GET", &format!("/v1/customers/{who}"), None).await;
        assert_eq!(status, 200, "{body}");
        let a = &body["data"]["attributes"];
        assert_eq!(
            (&a["shopify_customer_id"], &a["current_points"], &a["loyalty_status"], &a["email"]),
            (&json!("6789012345"), &json!(700), &json!("member"), &json!("c6789012345@example.com"))
        );
    }
    let (status, body) = mage(&stack, &shop.key, "GET", "/v1/customers/404404", None).await;
    assert_eq!((status, &body["errors"][0]["code"]), (404, &json!("CUSTOMER_NOT_FOUND")));
}
