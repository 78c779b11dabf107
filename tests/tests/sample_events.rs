//! Each function's handler, called exactly as Lambda calls it, with the API Gateway v2 events of events/.

use lambda_http::{Body, Request};
use serde_json::{json, Value};
use tally_tests::{on_a_large_stack, Stack};

/// The key the events carry: the demo key of `make dev`.
const EVENT_KEY: &str = "tly_demo_local_development_key";

fn event(json: &str) -> Request {
    lambda_http::request::from_str(json).expect("a valid API Gateway v2 event")
}

fn json_body(response: &lambda_http::Response<Body>) -> Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).expect("JSON"),
        other => panic!("expected a text body, got {other:?}"),
    }
}

/// Every handler, one after another in one future: unoptimised, its frames outgrow a test thread's stack.
#[test]
fn every_function_answers_its_sample_event() {
    on_a_large_stack(every_function_answers)
}

async fn every_function_answers() {
    let stack = Stack::start().await;
    let shop = stack.shop_with_key("events", EVENT_KEY).await;
    let rule = stack
        .rule(&shop, json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5"}))
        .await;
    assert_eq!(rule, 1, "the redeem event names rule 1");
    stack.customer(&shop, 1001, 1000).await;
    let deps = &*stack.deps;

    let created =
        create_redeem_rule::handler(deps, event(include_str!("../../events/create-redeem-rule.json"))).await.unwrap();
    assert_eq!(created.status(), 201);
    assert_eq!(json_body(&created)["pointsCost"], 1000);

    let listed =
        list_redeem_rules::handler(deps, event(include_str!("../../events/list-redeem-rules.json"))).await.unwrap();
    assert_eq!(json_body(&listed).as_array().map(Vec::len), Some(2));

    let updated =
        update_redeem_rule::handler(deps, event(include_str!("../../events/update-redeem-rule.json"))).await.unwrap();
    assert_eq!(updated.status(), 200, "{:?}", json_body(&updated));
    assert_eq!((json_body(&updated)["id"].as_u64(), json_body(&updated)["pointsCost"].as_i64()), (Some(2), Some(1100)));
    let deleted =
        delete_redeem_rule::handler(deps, event(include_str!("../../events/delete-redeem-rule.json"))).await.unwrap();
    assert_eq!(json_body(&deleted), json!({"id": 2, "deleted": true}));
    let listed =
        list_redeem_rules::handler(deps, event(include_str!("../../events/list-redeem-rules.json"))).await.unwrap();
    assert_eq!(json_body(&listed).as_array().map(Vec::len), Some(1), "the deleted rule is gone");

    let added = add_points::handler(deps, event(include_str!("../../events/add-points.json"))).await.unwrap();
    assert_eq!(json_body(&added)["availablePoints"], 1250);

    let removed = remove_points::handler(deps, event(include_str!("../../events/remove-points.json"))).await.unwrap();
    assert_eq!(json_body(&removed)["availablePoints"], 1200);

    let redeemed = redeem_points::handler(deps, event(include_str!("../../events/redeem-points.json"))).await.unwrap();
    assert_eq!(redeemed.status(), 200, "{:?}", json_body(&redeemed));
    assert_eq!(json_body(&redeemed)["availablePoints"], 700);
    assert_eq!(redeemed.headers()["content-type"], "application/json");

    let loyalty =
        customer_loyalty::handler(deps, event(include_str!("../../events/customer-loyalty.json"))).await.unwrap();
    let loyalty = json_body(&loyalty);
    assert_eq!(loyalty["availablePoints"], 700);
    assert_eq!(loyalty["rewards"][0]["status"], "UNUSED");

    // The refund event names a reward id that the test's redemption cannot know beforehand.
    let reward_id = json_body(&redeemed)["reward"]["id"].as_u64().unwrap().to_string();
    let refund_event = include_str!("../../events/refund-reward.json").replace("4503599627370497", &reward_id);
    let refunded = refund_reward::handler(deps, event(&refund_event)).await.unwrap();
    assert_eq!(refunded.status(), 200, "{:?}", json_body(&refunded));
    assert_eq!(json_body(&refunded)["reward"]["status"], "REFUNDED");
    assert_eq!(json_body(&refunded)["availablePoints"], 1200, "the 500 points came back");

    // Appstle's code calls, on a code of the customer's: checked, marked used, then refused as used.
    let again = redeem_points::handler(deps, event(include_str!("../../events/redeem-points.json"))).await.unwrap();
    let code = json_body(&again)["reward"]["discountCode"].as_str().unwrap().to_string();
    let checked = include_str!("../../events/check-discount.json").replace("DEMO-CODE", &code);
    let checked = check_discount::handler(deps, event(&checked)).await.unwrap();
    assert_eq!((checked.status().as_u16(), json_body(&checked)["status"].clone()), (200, json!("UNUSED")));
    let used = include_str!("../../events/update-discount.json").replace("DEMO-CODE", &code);
    let used = update_discount::handler(deps, event(&used)).await.unwrap();
    assert_eq!((used.status().as_u16(), json_body(&used)["status"].clone()), (200, json!("USED")));
    let late = include_str!("../../events/update-discount-code-status.json").replace("DEMO-CODE", &code);
    let late = update_discount_code_status::handler(deps, event(&late)).await.unwrap();
    assert_eq!(
        (late.status().as_u16(), json_body(&late)["error"]["code"].clone()),
        (409, json!("STATUS_NOT_APPLICABLE"))
    );

    let activity =
        customer_activity::handler(deps, event(include_str!("../../events/customer-activity.json"))).await.unwrap();
    let kinds: Vec<_> = json_body(&activity)["entries"].as_array().unwrap().iter().map(|e| e["kind"].clone()).collect();
    assert_eq!(
        json!(kinds),
        json!(["REDEEM", "REDEEM_REVERSED", "REDEEM", "DEBIT", "CREDIT", "CREDIT"]),
        "newest first"
    );

    // Mage's calls, with the key in `Authorization`: the reward list, a purchase, the customer.
    let rewards =
        mage_list_rewards::handler(deps, event(include_str!("../../events/mage-list-rewards.json"))).await.unwrap();
    assert_eq!(json_body(&rewards)["meta"]["total"], 1);
    let bought = mage_purchase_reward::handler(deps, event(include_str!("../../events/mage-purchase-reward.json")))
        .await
        .unwrap();
    assert_eq!(bought.status(), 201, "{:?}", json_body(&bought));
    assert_eq!(json_body(&bought)["data"]["attributes"]["points_spent"], 500);
    let customer =
        mage_get_customer::handler(deps, event(include_str!("../../events/mage-get-customer.json"))).await.unwrap();
    assert_eq!(json_body(&customer)["data"]["attributes"]["current_points"], 200);

    // Yotpo's calls, with the key in `x-api-key` beside `x-guid`: the options, a redemption, the customer.
    let event_of = |json: &str| event(json);
    let options =
        yotpo_redemption_options::handler(deps, event_of(include_str!("../../events/yotpo-redemption-options.json")))
            .await
            .unwrap();
    assert_eq!(json_body(&options), json!([]), "200 points qualify for nothing");
    let redeemed =
        yotpo_create_redemption::handler(deps, event_of(include_str!("../../events/yotpo-create-redemption.json")))
            .await;
    let redeemed = redeemed.unwrap();
    assert_eq!(redeemed.status(), 400, "{:?}", json_body(&redeemed));
    assert_eq!(json_body(&redeemed)["code"], "INSUFFICIENT_POINTS");
    let details =
        yotpo_customer_details::handler(deps, event_of(include_str!("../../events/yotpo-customer-details.json")))
            .await
            .unwrap();
    assert_eq!(json_body(&details)["points_balance"], 200);

    let enrolled =
        enroll_customer::handler(deps, event(include_str!("../../events/enroll-customer.json"))).await.unwrap();
    assert_eq!(enrolled.status(), 201);
    assert_eq!(json_body(&enrolled)["currentVipTier"], "Gold");
}

#[tokio::test]
async fn an_event_with_another_key_is_unauthorized() {
    let stack = Stack::start().await;
    stack.shop("other").await;
    let response =
        redeem_points::handler(&stack.deps, event(include_str!("../../events/redeem-points.json"))).await.unwrap();
    assert_eq!(response.status(), 401);
    assert_eq!(json_body(&response)["error"]["code"], "UNAUTHORIZED");
}

#[tokio::test]
async fn the_webhook_events_are_signed_as_shopify_signs_them() {
    let stack = Stack::start().await;
    let shop = stack.shop_record("demo.myshopify.com", tally_domain::shop::Access::StaticToken);
    let secrets = tally_domain::shop::ShopSecrets::new("demo_client_secret", Some("t")).unwrap();
    stack.create_shop(&shop, &secrets).await;
    for fixture in [
        include_str!("../../events/shopify-orders-create.json"),
        include_str!("../../events/shopify-orders-cancelled.json"),
        include_str!("../../events/shopify-customers-create.json"),
    ] {
        // Shopify stamps when the event happened; a sample is stamped now (days old, it would be ignored).
        let now = tally_domain::rfc3339(tally_tests::now());
        let fixture = fixture.replace("2026-11-23T10:15:00.000Z", &now);
        let response = shopify_webhooks::handler(&stack.deps, event(&fixture)).await.unwrap();
        assert_eq!(response.status(), 200, "{:?}", json_body(&response));
        let again = shopify_webhooks::handler(&stack.deps, event(&fixture)).await.unwrap();
        assert_eq!(json_body(&again)["duplicate"], true, "the same delivery is handled once: {:?}", json_body(&again));
    }
}

/// A portal event as Shopify's App Proxy would send it now, for `shop`: the sample's query, re-signed with
/// a fresh timestamp (the samples' own is long past, and signed with the demo shop's secret).
fn fresh_portal_event(json: &str, shop: &str, secret: &str) -> Request {
    let mut event: Value = serde_json::from_str(json).expect("JSON");
    let mut query = tally_tests::storefront::proxy_query(shop, "1001", 0);
    query.push(("signature", tally_api::app_proxy::sign(secret, &query)));
    event["rawQueryString"] =
        json!(query.iter().map(|(k, v)| format!("{k}={}", v.replace('/', "%2F"))).collect::<Vec<_>>().join("&"));
    event["queryStringParameters"] = query.iter().map(|(k, v)| (k.to_string(), json!(v))).collect();
    lambda_http::request::from_str(&event.to_string()).expect("a valid API Gateway v2 event")
}

#[tokio::test]
async fn the_portal_events_answer_when_signed_now_and_not_when_stale() {
    // The demo shop the events were signed for, with its secret: a stale timestamp is all that is wrong.
    let stack = Stack::start().await;
    let domain = "demo.myshopify.com";
    let record = stack.shop_record(domain, tally_domain::shop::Access::StaticToken);
    let secrets = tally_domain::shop::ShopSecrets::new("demo_client_secret", Some("shpat_test")).unwrap();
    stack.create_shop(&record, &secrets).await;
    tally_tests::add_key(&stack.store, &record.domain, EVENT_KEY).await;
    stack.control("POST", "/__emulator/shops", json!({"domain": domain, "accessToken": "shpat_test"})).await;
    let shop = tally_tests::TestShop { domain: domain.into(), id: record.domain.clone(), key: EVENT_KEY.into() };
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5"});
    assert_eq!(stack.rule(&shop, rule).await, 1);
    stack.customer(&shop, 1001, 1000).await;
    let deps = &*stack.deps;
    let (loyalty, rules, redeem) = (
        include_str!("../../events/portal-customer-loyalty.json"),
        include_str!("../../events/portal-redeem-rules.json"),
        include_str!("../../events/portal-redeem-points.json"),
    );

    let stale = portal_redeem_points::handler(deps, event(redeem)).await.unwrap();
    assert_eq!((stale.status().as_u16(), json_body(&stale)["error"]["code"].as_str()), (401, Some("UNAUTHORIZED")));

    let redeemed =
        portal_redeem_points::handler(deps, fresh_portal_event(redeem, domain, "demo_client_secret")).await.unwrap();
    assert_eq!(redeemed.status(), 200, "{:?}", json_body(&redeemed));
    assert_eq!(redeemed.headers()["cache-control"], "private, no-store");
    assert_eq!(
        (json_body(&redeemed)["customerId"].as_u64(), json_body(&redeemed)["availablePoints"].as_i64()),
        (Some(1001), Some(500))
    );
    let read = portal_customer_loyalty::handler(deps, fresh_portal_event(loyalty, domain, "demo_client_secret"))
        .await
        .unwrap();
    assert_eq!(json_body(&read)["rewardsCount"], 1);
    let options =
        portal_redeem_rules::handler(deps, fresh_portal_event(rules, domain, "demo_client_secret")).await.unwrap();
    assert_eq!(json_body(&options)[0]["available"], true, "500 points left buy the $5 off again");
}
