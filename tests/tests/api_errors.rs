//! Every error of the contract's table these endpoints can give, over HTTP: the status, the stable code,
//! and nothing changed (the balance, the ledger, Shopify).

use serde_json::{json, Value};
use tally_domain::customer::CustomerStatus;
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 5150;
const BALANCE: i64 = 1000;

struct Setup {
    stack: Stack,
    shop: TestShop,
    fixed: u64,
    inactive: u64,
    gold_only: u64,
    product: u64,
    expensive: u64,
}

async fn setup(name: &str) -> Setup {
    let stack = Stack::start().await;
    let shop = stack.shop(name).await;
    let rule = |extra: Value| {
        let mut body = json!({"name": "r", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let fixed = stack.rule(&shop, rule(json!({}))).await;
    let inactive = stack.rule(&shop, rule(json!({"status": "INACTIVE"}))).await;
    let gold_only = stack.rule(&shop, rule(json!({"vipTier": "Gold"}))).await;
    let product = stack
        .rule(&shop, json!({"name": "mug", "rewardType": "FREE_PRODUCT", "pointsCost": 100, "variantIds": [11, 12]}))
        .await;
    let expensive = stack.rule(&shop, rule(json!({"pointsCost": 5000}))).await;
    stack.customer(&shop, CUSTOMER, BALANCE).await;
    Setup { stack, shop, fixed, inactive, gold_only, product, expensive }
}

impl Setup {
    async fn assert_nothing_changed(&self, what: &str) {
        assert_eq!(self.stack.balance(&self.shop, CUSTOMER).await, BALANCE, "{what}: balance unchanged");
        let ledger = self.stack.ledger(&self.shop.domain, CUSTOMER).await;
        assert_eq!(ledger.len(), 1, "{what}: only the initial credit is in the ledger");
        assert!(self.stack.discounts(&self.shop).await.is_empty(), "{what}: no code in Shopify");
    }

    async fn expect(&self, path: &str, body: Value, status: u16, code: &str) {
        let reply = self.stack.post(&self.shop.key, path, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (status, code), "{path} {body}: {:?}", reply.body);
        let message = reply.body["error"]["message"].as_str().unwrap_or("");
        assert!(!message.is_empty() && reply.body["error"]["detail"].is_string(), "{:?}", reply.body);
        self.assert_nothing_changed(&format!("{path} {body}")).await;
    }
}

const REDEEM: &str = "/api/external/redeem-points";

#[tokio::test]
async fn bad_redemptions_are_refused_with_their_code_and_change_nothing() {
    let s = setup("refusals").await;
    let c = CUSTOMER;
    for (body, status, code) in [
        (json!({"redeemRuleId": s.fixed}), 400, "INVALID_REQUEST"),
        (
            json!({"customerId": c, "customerEmail": "c5150@example.com", "redeemRuleId": s.fixed}),
            400,
            "INVALID_REQUEST",
        ),
        (json!({"customerId": c}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": s.fixed, "points": 100.5}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": s.fixed, "points": -100}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": s.fixed, "points": 99}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": s.fixed, "discount": "all"}), 400, "INVALID_REQUEST"),
        (json!({"customerId": "5150", "redeemRuleId": s.fixed}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": 999}), 404, "RULE_NOT_FOUND"),
        (json!({"customerId": c, "redeemRuleId": s.inactive}), 400, "RULE_INACTIVE"),
        (json!({"customerId": 4040, "redeemRuleId": s.fixed}), 404, "CUSTOMER_NOT_FOUND"),
        (json!({"customerEmail": "nobody@example.com", "redeemRuleId": s.fixed}), 404, "CUSTOMER_NOT_FOUND"),
        (json!({"customerId": c, "redeemRuleId": s.gold_only}), 403, "TIER_RESTRICTED"),
        (json!({"customerId": c, "redeemRuleId": s.product}), 400, "VARIANT_REQUIRED"),
        (json!({"customerId": c, "redeemRuleId": s.product, "variantId": 13}), 400, "INVALID_REQUEST"),
        (json!({"customerId": c, "redeemRuleId": s.product, "variantId": 12}), 404, "VARIANT_NOT_FOUND"),
        (json!({"customerId": c, "redeemRuleId": s.expensive}), 400, "INSUFFICIENT_POINTS"),
        (json!({"customerId": c, "redeemRuleId": s.fixed, "delayPointsDeduction": "yes"}), 400, "INVALID_REQUEST"),
    ] {
        s.expect(REDEEM, body, status, code).await;
    }
    let insufficient = s.stack.post(&s.shop.key, REDEEM, json!({"customerId": c, "redeemRuleId": s.expensive})).await;
    assert_eq!(insufficient.body["error"]["message"], "Insufficient points");
}

#[tokio::test]
async fn customers_outside_the_program_cannot_redeem() {
    let s = setup("outsiders").await;
    for (status, http, code) in
        [(CustomerStatus::Inactive, 400, "CUSTOMER_NOT_ENROLLED"), (CustomerStatus::Excluded, 403, "CUSTOMER_EXCLUDED")]
    {
        let mut customer = s.stack.customer_record(&s.shop.domain, CUSTOMER).await.unwrap();
        customer.status = status;
        s.stack.put_customer(&s.shop.domain, &customer).await;
        s.expect(REDEEM, json!({"customerId": CUSTOMER, "redeemRuleId": s.fixed}), http, code).await;
        let add = json!({"customerId": CUSTOMER, "points": 5, "reason": "x"});
        s.expect("/api/external/add-points", add, http, code).await;
    }
}

#[tokio::test]
async fn bad_adjustments_enrollments_and_rules_are_refused() {
    let s = setup("adjustments").await;
    let c = CUSTOMER;
    for (path, body, status, code) in [
        (
            "/api/external/remove-points",
            json!({"customerId": c, "points": 1001, "reason": "too much"}),
            400,
            "INSUFFICIENT_POINTS",
        ),
        ("/api/external/add-points", json!({"customerId": c, "points": 10.5, "reason": "x"}), 400, "INVALID_REQUEST"),
        ("/api/external/add-points", json!({"customerId": c, "points": 0, "reason": "x"}), 400, "INVALID_REQUEST"),
        ("/api/external/add-points", json!({"customerId": c, "points": 10, "reason": " "}), 400, "INVALID_REQUEST"),
        (
            "/api/external/add-points",
            json!({"customerId": c, "points": 10, "reason": "x", "note": "y"}),
            400,
            "INVALID_REQUEST",
        ),
        (
            "/api/external/add-points",
            json!({"customerId": 4040, "points": 10, "reason": "x"}),
            404,
            "CUSTOMER_NOT_FOUND",
        ),
        (
            "/api/external/customers",
            json!({"customerId": c, "email": "other@example.com"}),
            409,
            "CUSTOMER_ALREADY_ENROLLED",
        ),
        ("/api/external/customers", json!({"customerId": 77, "email": "C5150@example.com"}), 409, "EMAIL_IN_USE"),
        ("/api/external/customers", json!({"customerId": 77, "email": "not-an-email"}), 400, "INVALID_REQUEST"),
        (
            "/api/external/customers",
            json!({"customerId": 77, "email": "a@b.co", "phone": "555"}),
            400,
            "INVALID_REQUEST",
        ),
        (
            "/api/external/point-redeem-rules",
            json!({"name": "x", "rewardType": "PERCENTAGE", "pointsCost": 1, "discountValue": "101"}),
            400,
            "INVALID_REQUEST",
        ),
        (
            "/api/external/point-redeem-rules",
            json!({"name": "x", "rewardType": "BOGUS", "pointsCost": 1}),
            400,
            "INVALID_REQUEST",
        ),
    ] {
        s.expect(path, body, status, code).await;
    }
    let rules = s.stack.get(&s.shop.key, "/api/external/point-redeem-rules").await;
    assert_eq!(rules.body.as_array().unwrap().len(), 4, "no rule was added; the inactive one is not listed");
    assert!(s.stack.customer_record(&s.shop.domain, 77).await.is_none(), "nobody was enrolled");
}

#[tokio::test]
async fn requests_without_a_valid_key_or_a_json_body_are_refused() {
    let s = setup("keys").await;
    let url = format!("{}{REDEEM}", s.stack.api);
    let body = json!({"customerId": CUSTOMER, "redeemRuleId": s.fixed});
    let missing = s.stack.http.post(&url).json(&body).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let wrong = s.stack.http.post(&url).header("X-API-Key", "tly_nope").json(&body).send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let error: Value = wrong.json().await.unwrap();
    assert_eq!(error["error"]["code"], "UNAUTHORIZED");
    for raw in ["", "{", "[1,2]", "null"] {
        let reply = s.stack.http.post(&url).header("X-API-Key", &s.shop.key).body(raw).send().await.unwrap();
        assert_eq!(reply.status(), 400, "{raw:?}");
    }
    let loyalty = s.stack.get(&s.shop.key, "/api/external/customer-loyalty?customerId=abc").await;
    assert_eq!((loyalty.status, loyalty.code()), (400, "INVALID_REQUEST"));
    let neither = s.stack.get(&s.shop.key, "/api/external/customer-loyalty").await;
    assert_eq!((neither.status, neither.code()), (400, "INVALID_REQUEST"));
    s.assert_nothing_changed("unauthenticated and malformed requests").await;
}
