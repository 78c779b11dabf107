//! The UI extensions' routes (`/api/extension/…`): a session token as Shopify signs it opens the portal's
//! operations for the customer it names; every other token, an API key or an App Proxy signature is refused
//! with nothing changed; the extensions' sandbox may read the answers.

use serde_json::{json, Value};
use tally_tests::extensions::{claims, token, SANDBOX};
use tally_tests::{now, Stack, TestShop};

/// Everything a refused request could have changed: the customer's loyalty and the shop's discounts.
async fn footprint(stack: &Stack, shop: &TestShop) -> (Value, usize) {
    (stack.loyalty(shop, 1001).await, stack.discounts(shop).await.len())
}

#[tokio::test]
async fn a_token_as_shopify_signs_it_reads_and_redeems_for_its_customer() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let token = token(&shop, Some(1001));
    let loyalty = stack.extension(Some(&token), "customer-loyalty", None, None).await;
    assert_eq!((loyalty.status, loyalty.body["customerId"].as_u64()), (200, Some(1001)), "{:?}", loyalty.body);
    assert_eq!(loyalty.body["availablePoints"], 2500);

    let options = stack.extension(Some(&token), "point-redeem-rules", None, None).await;
    assert_eq!(options.status, 200, "{:?}", options.body);
    assert!(options.body.as_array().is_some_and(|o| !o.is_empty()), "the demo's options");

    let body = json!({"redeemRuleId": 1});
    let redeemed = stack.extension(Some(&token), "redeem-points", Some(body.clone()), Some("tap-1")).await;
    assert_eq!((redeemed.status, redeemed.body["availablePoints"].as_i64()), (200, Some(2000)), "{:?}", redeemed.body);
    let code = redeemed.body["reward"]["discountCode"].as_str().expect("a code").to_string();
    assert!(stack.discounts(&shop).await.iter().any(|d| d["code"] == code.as_str()), "the code is in Shopify");

    // A second tap with the same key is the first redemption; the same key from another customer is theirs.
    let again = stack.extension(Some(&token), "redeem-points", Some(body.clone()), Some("tap-1")).await;
    assert!(again.replayed, "{:?}", again.body);
    assert_eq!(again.body["reward"]["discountCode"], code.as_str());
    assert_eq!(stack.balance(&shop, 1001).await, 2000);
    let ben = tally_tests::extensions::token(&shop, Some(1002));
    let theirs = stack.extension(Some(&ben), "redeem-points", Some(json!({"redeemRuleId": 1})), Some("tap-1")).await;
    assert_eq!((theirs.status, theirs.replayed), (400, false), "{:?}", theirs.body);
    assert_eq!(theirs.code(), "INSUFFICIENT_POINTS", "1002's own attempt, refused on 1002's balance");

    // The body names no other customer.
    let named = json!({"redeemRuleId": 1, "customerId": 1002});
    let refused = stack.extension(Some(&token), "redeem-points", Some(named), None).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{:?}", refused.body);

    let activity = stack.extension(Some(&token), "customer-activity?limit=2", None, None).await;
    assert_eq!(activity.status, 200, "{:?}", activity.body);
    let entries = activity.body["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 2);
    assert_eq!((entries[0]["points"].as_i64(), entries[0]["balanceAfter"].as_i64()), (Some(-500), Some(2000)));
    let next = activity.body["nextCursor"].as_str().expect("a next page");
    let page = stack.extension(Some(&token), &format!("customer-activity?limit=2&cursor={next}"), None, None).await;
    assert_eq!(page.status, 200, "{:?}", page.body);
    // Another customer's cursor is not this one's to follow.
    let stolen = stack.extension(Some(&ben), &format!("customer-activity?cursor={next}"), None, None).await;
    assert_eq!(stolen.status, 400, "{:?}", stolen.body);
}

#[tokio::test]
async fn every_token_shopify_did_not_sign_for_this_app_and_shop_is_refused_and_changes_nothing() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    // Another app's shop, with a secret of its own; and a shop connected with a static token (no app).
    let other = other_app(&stack).await;
    let legacy = stack.shop("legacy").await;
    let now = now().unix_timestamp();
    let sign = |secret: &str, changes: Value| {
        let mut claims = claims(&shop, Some(1001));
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        tally_api::session_token::sign(secret, &claims)
    };
    let unsigned = {
        let good = token(&shop, Some(1001));
        let payload = good.split('.').nth(1).unwrap().to_string();
        use base64::Engine;
        let none = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
        format!("{none}.{payload}.")
    };
    let refused = [
        ("a wrong secret", sign("not the secret", json!({}))),
        ("another app's aud", sign("secret", json!({"aud": "another_client_id"}))),
        ("another shop's dest", sign("secret", json!({"dest": format!("https://{}", other.domain)}))),
        ("another shop's dest and aud", sign("secret", json!({"dest": other.domain, "aud": "other_client_id"}))),
        ("a static-token shop's dest", sign("secret", json!({"dest": legacy.domain}))),
        ("an unknown shop's dest", sign("secret", json!({"dest": "nobody.myshopify.com"}))),
        ("expired", sign("secret", json!({"exp": now - 60}))),
        ("not yet valid", sign("secret", json!({"nbf": now + 60}))),
        ("alg: none", unsigned),
        ("not a JWT", "not-a-token".to_string()),
    ];
    let before = footprint(&stack, &shop).await;
    let redeem = json!({"redeemRuleId": 1});
    for (case, token) in &refused {
        for (path, body) in [("customer-loyalty", None), ("redeem-points", Some(redeem.clone()))] {
            let answer = stack.extension(Some(token), path, body, None).await;
            assert_eq!((answer.status, answer.code()), (401, "UNAUTHORIZED"), "{case} on {path}: {:?}", answer.body);
            let detail = answer.body["error"]["detail"].as_str().unwrap();
            assert!(detail.contains("session token"), "{case}: one answer for every reason: {detail}");
        }
    }
    let missing = stack.extension(None, "customer-loyalty", None, None).await;
    assert_eq!((missing.status, missing.code()), (401, "UNAUTHORIZED"));

    // A guest's token is good, and names nobody.
    let guest = token(&shop, None);
    let answer = stack.extension(Some(&guest), "redeem-points", Some(redeem.clone()), None).await;
    assert_eq!((answer.status, answer.code()), (401, "NOT_LOGGED_IN"), "{:?}", answer.body);
    assert_eq!(footprint(&stack, &shop).await, before, "nothing changed");

    // The other shop's own token is good there, and names its customer there (not enrolled: 404).
    let mut theirs = claims(&other, Some(1001));
    theirs["aud"] = json!("other_client_id");
    let theirs = tally_api::session_token::sign("other secret", &theirs);
    let answer = stack.extension(Some(&theirs), "customer-loyalty", None, None).await;
    assert_eq!((answer.status, answer.code()), (404, "CUSTOMER_NOT_FOUND"), "{:?}", answer.body);
}

/// A shop of another app: its own client id and secret.
async fn other_app(stack: &Stack) -> TestShop {
    use tally_domain::shop::{Access, ShopSecrets};
    let domain = "other.myshopify.com".to_string();
    let register = json!({"domain": domain, "clientId": "other_client_id", "clientSecret": "other secret"});
    stack.control("POST", "/__emulator/shops", register).await;
    let shop = stack.shop_record(&domain, Access::ClientCredentials { client_id: "other_client_id".into() });
    let secrets = ShopSecrets::new("other secret", None).expect("valid secrets");
    tally_app::shops::connect(&stack.deps, &shop, &secrets, None).await.expect("connected");
    TestShop { domain, id: shop.domain, key: String::new() }
}

#[tokio::test]
async fn api_keys_and_proxy_signatures_are_not_taken_for_a_token_nor_a_token_for_them() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let url = format!("{}/api/extension/customer-loyalty", stack.api);
    let with_key = stack.http.get(&url).header("X-API-Key", &shop.key).bearer_auth(token(&shop, Some(1001)));
    let answer = with_key.send().await.unwrap();
    assert_eq!(answer.status(), 401, "an API key is refused on the extensions' routes, even beside a token");
    let detail = |body: Value| body["error"]["detail"].as_str().unwrap_or_default().to_string();
    let answer: Value = answer.json().await.unwrap();
    assert!(detail(answer.clone()).contains("API keys and App Proxy signatures"), "{answer}");
    let mut query = tally_tests::storefront::proxy_query(&shop.domain, "1001", 0);
    query.push(("signature", tally_api::app_proxy::sign("secret", &query)));
    let signed = stack.http.get(reqwest::Url::parse_with_params(&url, &query).unwrap());
    let signed = signed.bearer_auth(token(&shop, Some(1001))).send().await.unwrap();
    assert_eq!(signed.status(), 401, "an App Proxy signature is refused there, even beside a good token");
    let signed: Value = signed.json().await.unwrap();
    assert!(detail(signed.clone()).contains("API keys and App Proxy signatures"), "{signed}");

    // A good token opens neither the external API nor the App Proxy's routes.
    let external = format!("{}/api/external/customer-loyalty?customerId=1001", stack.api);
    let bearer = stack.http.get(&external).bearer_auth(token(&shop, Some(1001))).send().await.unwrap();
    assert_eq!(bearer.status(), 401, "a session token opens no external route");
    let portal = format!("{}/loyalty/cp/api/customer-loyalty", stack.api);
    let bearer = stack.http.get(&portal).bearer_auth(token(&shop, Some(1001))).send().await.unwrap();
    assert_eq!(bearer.status(), 401, "nor the App Proxy's");
    let bearer: Value = bearer.json().await.unwrap();
    assert!(detail(bearer.clone()).contains("App Proxy signature"), "refused for its missing signature: {bearer}");
}

#[tokio::test]
async fn the_extensions_sandbox_may_call_and_read_the_answers_and_no_cookie_is_allowed() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let url = format!("{}/api/extension/redeem-points", stack.api);
    let preflight = stack
        .http
        .request(reqwest::Method::OPTIONS, &url)
        .header("Origin", SANDBOX)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization,content-type,idempotency-key");
    let granted = preflight.send().await.unwrap();
    assert_eq!(granted.status(), 204);
    let header = |r: &reqwest::Response, name: &str| r.headers().get(name).map(|v| v.to_str().unwrap().to_string());
    assert_eq!(header(&granted, "access-control-allow-origin").as_deref(), Some("*"));
    let allowed = header(&granted, "access-control-allow-headers").unwrap();
    assert!(["authorization", "content-type", "idempotency-key"].iter().all(|h| allowed.contains(h)), "{allowed}");
    assert!(header(&granted, "access-control-allow-methods").unwrap().contains("POST"));
    assert!(header(&granted, "access-control-allow-credentials").is_none(), "no cookies");

    let read = stack
        .http
        .get(format!("{}/api/extension/customer-loyalty", stack.api))
        .header("Origin", SANDBOX)
        .bearer_auth(token(&shop, Some(1001)))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&read, "access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(header(&read, "cache-control").as_deref(), Some("private, no-store"));
    let refused = stack.http.get(format!("{}/api/extension/customer-loyalty", stack.api)).header("Origin", SANDBOX);
    let refused = refused.send().await.unwrap();
    assert_eq!(refused.status(), 401);
    assert_eq!(header(&refused, "access-control-allow-origin").as_deref(), Some("*"), "the refusal is readable");
    // The App Proxy's routes are same-origin for the storefront and answer no CORS.
    let proxied = stack.http.get(format!("{}/loyalty/cp/api/customer-loyalty", stack.api)).header("Origin", SANDBOX);
    assert_eq!(header(&proxied.send().await.unwrap(), "access-control-allow-origin"), None);
}
