//! The customer portal through Shopify's App Proxy: the logged-in customer's loyalty, options and
//! redemptions, and every way a request without a valid signature is refused with nothing changed.

use serde_json::{json, Value};
use tally_domain::shop::{Access, ShopSecrets};
use tally_tests::storefront::proxy_query;
use tally_tests::{Stack, TestShop};

/// A proxy query: its parameters in order.
type Query = Vec<(&'static str, String)>;

/// Everything a refused request could have changed: the customer's loyalty and the shop's discounts.
async fn footprint(stack: &Stack, shop: &TestShop, customer: u64) -> (Value, usize) {
    (stack.loyalty(shop, customer).await, stack.discounts(shop).await.len())
}

#[tokio::test]
async fn the_logged_in_customer_reads_and_redeems_their_own_points() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let loyalty = stack.portal(&shop, Some(1001), "customer-loyalty", None, None).await;
    assert_eq!((loyalty.status, loyalty.body["customerId"].as_u64()), (200, Some(1001)), "{:?}", loyalty.body);
    assert_eq!(loyalty.body["availablePoints"], 2500);

    let redeemed = stack.portal(&shop, Some(1001), "redeem-points", Some(json!({"redeemRuleId": 1})), None).await;
    assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    assert_eq!(
        (redeemed.body["customerId"].as_u64(), redeemed.body["availablePoints"].as_i64()),
        (Some(1001), Some(2000))
    );
    let code = redeemed.body["reward"]["discountCode"].as_str().expect("a code").to_string();
    assert!(stack.discounts(&shop).await.iter().any(|d| d["code"] == code.as_str()), "the code is in Shopify");
    assert_eq!(stack.balance(&shop, 1002).await, 400, "the other customer's points are theirs");

    // The body names no other customer: naming one is refused and changes nothing.
    let before = footprint(&stack, &shop, 1002).await;
    for named in
        [json!({"redeemRuleId": 3, "customerId": 1002}), json!({"redeemRuleId": 3, "customerEmail": "ben@example.com"})]
    {
        let refused = stack.portal(&shop, Some(1001), "redeem-points", Some(named), None).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{:?}", refused.body);
        assert!(refused.body["error"]["detail"].as_str().unwrap().contains("logged-in customer"));
    }
    assert_eq!(footprint(&stack, &shop, 1002).await, before);
    assert_eq!(stack.balance(&shop, 1001).await, 2000);
    // Appstle's portal body may carry the logged-in customer's own id.
    let own = json!({"redeemRuleId": 1, "customerId": 1001});
    let redeemed = stack.portal(&shop, Some(1001), "redeem-points", Some(own), None).await;
    assert_eq!((redeemed.status, redeemed.body["availablePoints"].as_i64()), (200, Some(1500)), "{:?}", redeemed.body);
}

#[tokio::test]
async fn options_say_what_the_customer_can_take_and_why_not_the_rest() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let options = stack.portal(&shop, Some(1002), "point-redeem-rules", None, None).await;
    assert_eq!(options.status, 200, "{:?}", options.body);
    let seen: Vec<(String, bool, Value, Value)> = options
        .body
        .as_array()
        .expect("a list")
        .iter()
        .map(|o| {
            (
                o["name"].as_str().unwrap().to_string(),
                o["available"] == true,
                o["unavailableReason"].clone(),
                o["pointsNeeded"].clone(),
            )
        })
        .collect();
    let short = |needed: i64| (json!("INSUFFICIENT_POINTS"), json!(needed));
    let expected = [
        ("Free shipping", true, (Value::Null, Value::Null)),
        ("$5 off", false, short(100)),
        ("15% off", false, short(400)),
        ("Free mug", false, short(600)),
        ("$10 store credit", false, short(600)),
        ("$25 off for Platinum members", false, (json!("TIER_RESTRICTED"), Value::Null)),
    ];
    let expected: Vec<(String, bool, Value, Value)> =
        expected.into_iter().map(|(name, ok, (why, needed))| (name.to_string(), ok, why, needed)).collect();
    assert_eq!(seen, expected, "cheapest first; a tier is told before points");

    let not_member = stack.portal(&shop, Some(7777), "point-redeem-rules", None, None).await;
    assert_eq!((not_member.status, not_member.code()), (404, "CUSTOMER_NOT_FOUND"));
}

#[tokio::test]
async fn a_double_click_redeems_once_and_keys_are_each_customer_s_own() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let redeem = json!({"redeemRuleId": 3});
    let (first, second) = tokio::join!(
        stack.portal(&shop, Some(1001), "redeem-points", Some(redeem.clone()), Some("click-1")),
        stack.portal(&shop, Some(1001), "redeem-points", Some(redeem.clone()), Some("click-1")),
    );
    let statuses = [first.status, second.status];
    assert!(statuses.contains(&200) && statuses.iter().all(|s| [200, 409].contains(s)), "{statuses:?}");
    let again = stack.portal(&shop, Some(1001), "redeem-points", Some(redeem.clone()), Some("click-1")).await;
    assert!(again.replayed, "the retry is answered from the first: {:?}", again.body);
    assert_eq!(stack.balance(&shop, 1001).await, 2200, "one reward of 300 points");

    // Another customer who happens to send the same key redeems for themselves, and sees nothing of 1001's.
    let other = stack.portal(&shop, Some(1002), "redeem-points", Some(redeem.clone()), Some("click-1")).await;
    assert_eq!((other.status, other.replayed), (200, false), "{:?}", other.body);
    assert_eq!(other.body["customerId"], 1002);
    assert_eq!((stack.balance(&shop, 1001).await, stack.balance(&shop, 1002).await), (2200, 100));

    // The key may come in the (signed) query instead of the header, as the widget also sends it.
    let in_query = "redeem-points?idempotency_key=click-2";
    let first = stack.portal(&shop, Some(1001), in_query, Some(redeem.clone()), None).await;
    let again = stack.portal(&shop, Some(1001), in_query, Some(redeem), None).await;
    assert_eq!((first.status, again.status, again.replayed), (200, 200, true), "{:?}", again.body);
    assert_eq!(stack.balance(&shop, 1001).await, 1900, "one more reward, not two");
}

#[tokio::test]
async fn requests_without_a_valid_signature_are_refused_and_change_nothing() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    // Another shop, whose app has another secret.
    let other = stack.shop_record("other.myshopify.com", Access::StaticToken);
    let secrets = ShopSecrets::new("other-secret", Some("shpat_other")).unwrap();
    stack.create_shop(&other, &secrets).await;
    let before = footprint(&stack, &shop, 1001).await;
    let redeem = Some(json!({"redeemRuleId": 1}));
    let valid = proxy_query(&shop.domain, "1001", 0);
    // The valid query and its signature, with one parameter changed afterwards.
    let forged = |name: &str, value: &str| -> Vec<(&'static str, String)> {
        let mut query: Vec<(&str, String)> =
            valid.iter().map(|(k, v)| (*k, if *k == name { value.to_string() } else { v.clone() })).collect();
        query.push(("signature", tally_api::app_proxy::sign("secret", &valid)));
        query
    };

    // The same query, signed right, is accepted: the refusals below are the changes, nothing else.
    let accepted = stack.portal_signed("customer-loyalty", &valid, Some("secret"), None).await;
    assert_eq!(accepted.status, 200, "{:?}", accepted.body);
    // The other shop's queries are checked with its own secret (it has no customer 1001).
    let their_query = proxy_query(other.domain.as_str(), "1001", 0);
    let theirs = stack.portal_signed("customer-loyalty", &their_query, Some("other-secret"), None).await;
    assert_eq!(theirs.code(), "CUSTOMER_NOT_FOUND");
    // The customer named twice, both signed (as if Shopify added its own after the shopper's).
    let mut twice = valid.clone();
    twice.push(("logged_in_customer_id", "1002".into()));

    let cases: [(&str, Query, Option<&str>); 9] = [
        ("no signature", valid.clone(), None),
        ("the wrong secret", valid.clone(), Some("not the secret")),
        ("a stale timestamp", proxy_query(&shop.domain, "1001", -100), Some("secret")),
        ("a timestamp from the future", proxy_query(&shop.domain, "1001", 100), Some("secret")),
        ("a shop Tally does not know", proxy_query("unknown.myshopify.com", "1001", 0), Some("secret")),
        ("a tampered customer", forged("logged_in_customer_id", "1002"), None),
        ("another shop's name", forged("shop", other.domain.as_str()), None),
        ("another shop's secret", valid.clone(), Some("other-secret")),
        ("a repeated customer", twice, Some("secret")),
    ];
    let mut details = Vec::new();
    for (case, query, secret) in cases {
        let refused = stack.portal_signed("redeem-points", &query, secret, redeem.clone()).await;
        assert_eq!((refused.status, refused.code()), (401, "UNAUTHORIZED"), "{case}: {:?}", refused.body);
        details.push(refused.body["error"]["detail"].as_str().unwrap().to_string());
    }
    details.dedup();
    assert_eq!(details.len(), 1, "a refusal does not say which part was wrong: {details:?}");

    // Signed right, but nobody is logged in.
    let logged_out =
        stack.portal_signed("redeem-points", &proxy_query(&shop.domain, "", 0), Some("secret"), redeem.clone()).await;
    assert_eq!((logged_out.status, logged_out.code()), (401, "NOT_LOGGED_IN"), "{:?}", logged_out.body);
    let through_proxy = stack.portal(&shop, None, "customer-loyalty", None, None).await;
    assert_eq!((through_proxy.status, through_proxy.code()), (401, "NOT_LOGGED_IN"));

    // The shop's API key opens the external API, not the portal; a signature opens the portal, not the API.
    let query: String = valid.iter().map(|(k, v)| format!("{k}={}&", v.replace('/', "%2F"))).collect();
    let signed = format!("{query}signature={}", tally_api::app_proxy::sign("secret", &valid));
    let url = format!("{}/loyalty/cp/api/redeem-points?{signed}", stack.api);
    let keyed = stack.http.post(url).header("X-API-Key", &shop.key).json(&json!({"redeemRuleId": 1}));
    let keyed: Value = keyed.send().await.unwrap().json().await.unwrap();
    assert_eq!(keyed["error"]["code"], "UNAUTHORIZED", "a key is refused even with a good signature: {keyed}");
    assert!(keyed["error"]["detail"].as_str().unwrap().contains("API keys are not accepted"), "{keyed}");
    let external = stack.http.get(format!("{}/api/external/customer-loyalty?customerId=1001&{signed}", stack.api));
    assert_eq!(external.send().await.unwrap().status(), 401, "the external API wants its key");

    assert_eq!(footprint(&stack, &shop, 1001).await, before, "nothing changed");
}

#[tokio::test]
async fn an_uninstalled_shop_s_portal_reads_but_does_not_redeem() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let uninstalled = json!({"id": 1, "domain": shop.domain, "myshopify_domain": shop.domain});
    assert_eq!(stack.webhook(&stack.api, &shop, "app/uninstalled", "uninstall-1", &uninstalled).await.0, 200);
    let refused = stack.portal(&shop, Some(1001), "redeem-points", Some(json!({"redeemRuleId": 1})), None).await;
    assert_eq!((refused.status, refused.code()), (403, "SHOP_UNINSTALLED"));
    let read = stack.portal(&shop, Some(1001), "customer-loyalty", None, None).await;
    assert_eq!((read.status, read.body["availablePoints"].as_i64()), (200, Some(2500)));
}

#[tokio::test]
async fn a_cross_site_form_cannot_redeem_and_no_body_is_read_past_its_limit() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let before = footprint(&stack, &shop, 1001).await;
    let query = proxy_query(&shop.domain, "1001", 0);
    let encoded: String = query.iter().map(|(k, v)| format!("{k}={}&", v.replace('/', "%2F"))).collect();
    let url = format!(
        "{}/loyalty/cp/api/redeem-points?{encoded}signature={}",
        stack.api,
        tally_api::app_proxy::sign("secret", &query)
    );
    // What a form on another site posts with the shopper's cookies.
    let form = stack.http.post(&url).header("Content-Type", "application/x-www-form-urlencoded").body("redeemRuleId=1");
    let form = form.send().await.unwrap();
    assert_eq!(form.status(), 415);
    let body: Value = form.json().await.unwrap();
    assert_eq!(body["error"]["code"], "UNSUPPORTED_MEDIA_TYPE", "{body}");
    let text = stack.http.post(&url).header("Content-Type", "text/plain").body(r#"{"redeemRuleId": 1}"#);
    assert_eq!(text.send().await.unwrap().status(), 415, "a simple request, as browsers send without asking");
    assert_eq!(footprint(&stack, &shop, 1001).await, before, "nothing changed");

    // A body past the limit is refused before anything reads it.
    let huge = format!("[{}0]", "0,".repeat(600_000));
    let refused = stack.http.post(format!("{}/api/external/redeem-points", stack.api)).header("X-API-Key", &shop.key);
    let refused = refused.header("Content-Type", "application/json").body(huge).send().await.unwrap();
    assert_eq!(refused.status(), 413);
}
