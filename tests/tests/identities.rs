//! Every customer identity over HTTP: a customer enrolled with a phone (E.164) and an external id (a POS or
//! CRM id) is found by either, each is the customer's alone in the shop, a re-enrollment that changes them
//! frees the old ones, and a request names its customer exactly once.

use aws_sdk_dynamodb::types::AttributeValue;
use serde_json::json;
use tally_app::ports::Store;
use tally_domain::customer::CustomerStatus;
use tally_domain::customer::Phone;
use tally_store::keys;
use tally_tests::{dynamodb_endpoint, Stack, TestShop};

const ANA: u64 = 7001;
const BEN: u64 = 7002;

async fn enroll(stack: &Stack, shop: &TestShop, body: serde_json::Value) -> tally_tests::Reply {
    stack.post(&shop.key, "/api/external/customers", body).await
}

#[tokio::test]
async fn a_customer_is_found_and_redeems_by_phone_and_by_external_id() {
    let (stack, shop, rule) = Stack::with_rule(
        "identities",
        json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": 5}),
        &[],
    )
    .await;
    let ana = json!({"customerId": ANA, "email": "ana@example.com", "phone": "+14155550101", "externalId": "POS-0001"});
    assert_eq!(enroll(&stack, &shop, ana).await.status, 201);

    // Points by external id, a redemption by phone, the loyalty by either: one customer.
    let add = json!({"customerExternalId": "POS-0001", "points": 1200, "reason": "in-store purchase"});
    let added = stack.post(&shop.key, "/api/external/add-points", add).await;
    assert_eq!((added.status, added.body["customerId"].as_u64()), (200, Some(ANA)), "{}", added.text);
    let redeem = json!({"customerPhone": "+14155550101", "redeemRuleId": rule});
    let redeemed = stack.post(&shop.key, "/api/external/redeem-points", redeem).await;
    assert_eq!(redeemed.status, 200, "{}", redeemed.text);
    assert_eq!(
        (redeemed.body["customerId"].as_u64(), redeemed.body["availablePoints"].as_i64()),
        (Some(ANA), Some(700))
    );
    for query in ["customerPhone=%2B14155550101", "customerPhone=+14155550101", "customerExternalId=POS-0001"] {
        let loyalty = stack.get(&shop.key, &format!("/api/external/customer-loyalty?{query}")).await;
        assert_eq!(
            (loyalty.status, loyalty.body["availablePoints"].as_i64()),
            (200, Some(700)),
            "{query}: {}",
            loyalty.text
        );
    }
    let rewards = stack.get(&shop.key, "/api/external/customer-rewards?customerExternalId=POS-0001").await;
    assert_eq!(rewards.body["rewards"].as_array().map(Vec::len), Some(1), "{}", rewards.text);
    let reward_id = redeemed.body["reward"]["id"].as_u64().unwrap();
    let refund = json!({"customerPhone": "+14155550101"});
    let refunded = stack.post(&shop.key, &format!("/api/external/rewards/{reward_id}/refund"), refund).await;
    assert_eq!(refunded.status, 200, "{}", refunded.text);
    let unknown = stack.get(&shop.key, "/api/external/customer-loyalty?customerPhone=%2B19995550000").await;
    assert_eq!((unknown.status, unknown.code()), (404, "CUSTOMER_NOT_FOUND"));

    // Two identifiers are refused, saying which two, and change nothing.
    let balance = stack.balance(&shop, ANA).await;
    let two = json!({"customerId": ANA, "customerPhone": "+14155550101", "points": 5, "reason": "x"});
    let refused = stack.post(&shop.key, "/api/external/add-points", two).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{}", refused.text);
    assert!(
        refused.body["error"]["detail"].as_str().unwrap().contains("customerId and customerPhone"),
        "{}",
        refused.text
    );
    let query = "customerEmail=ana%40example.com&customerExternalId=POS-0001";
    let refused = stack.get(&shop.key, &format!("/api/external/customer-loyalty?{query}")).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{}", refused.text);
    assert!(refused.text.contains("customerEmail and customerExternalId"), "{}", refused.text);
    for bad in ["customerPhone=4155550101", &format!("customerExternalId={}", "x".repeat(65))] {
        let refused = stack.get(&shop.key, &format!("/api/external/customer-loyalty?{bad}")).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{bad}: {}", refused.text);
    }
    assert_eq!(stack.balance(&shop, ANA).await, balance);
}

#[tokio::test]
async fn phones_and_external_ids_are_unique_and_freed_when_changed() {
    let stack = Stack::start().await;
    let shop = stack.shop("unique-ids").await;
    let ana = json!({"customerId": ANA, "email": "ana@example.com", "phone": "+14155550101", "externalId": "CRM-A"});
    assert_eq!(enroll(&stack, &shop, ana).await.status, 201);

    let same_phone = json!({"customerId": BEN, "email": "ben@example.com", "phone": "+14155550101"});
    let refused = enroll(&stack, &shop, same_phone).await;
    assert_eq!((refused.status, refused.code()), (409, "PHONE_IN_USE"), "{}", refused.text);
    let same_external = json!({"customerId": BEN, "email": "ben@example.com", "externalId": "CRM-A"});
    let refused = enroll(&stack, &shop, same_external).await;
    assert_eq!((refused.status, refused.code()), (409, "EXTERNAL_ID_IN_USE"), "{}", refused.text);
    let ben = stack.get(&shop.key, &format!("/api/external/customer-loyalty?customerId={BEN}")).await;
    assert_eq!(ben.status, 404, "a refused enrollment leaves nothing behind");
    let bad = json!({"customerId": BEN, "email": "ben@example.com", "externalId": "x".repeat(65)});
    assert_eq!(enroll(&stack, &shop, bad).await.code(), "INVALID_REQUEST");

    // Another shop may have the same phone and external id.
    let other = stack.shop("unique-ids-other").await;
    let twin = json!({"customerId": BEN, "email": "ben@example.com", "phone": "+14155550101", "externalId": "CRM-A"});
    assert_eq!(enroll(&stack, &other, twin).await.status, 201);

    // Ana leaves and comes back with a new phone and external id: the old ones are free at once.
    let mut left = stack.customer_record(&shop.domain, ANA).await.unwrap();
    left.status = CustomerStatus::Inactive;
    stack.put_customer(&shop.domain, &left).await;
    let back = json!({"customerId": ANA, "email": "ana@example.com", "phone": "+14155550199", "externalId": "CRM-A2"});
    assert_eq!(enroll(&stack, &shop, back).await.status, 200);
    let old = stack.get(&shop.key, "/api/external/customer-loyalty?customerPhone=%2B14155550101").await;
    assert_eq!(old.status, 404, "the old phone no longer finds Ana");
    let new = stack.get(&shop.key, "/api/external/customer-loyalty?customerExternalId=CRM-A2").await;
    assert_eq!(new.body["customerId"].as_u64(), Some(ANA));
    let ben = json!({"customerId": BEN, "email": "ben@example.com", "phone": "+14155550101", "externalId": "CRM-A"});
    assert_eq!(enroll(&stack, &shop, ben).await.status, 201, "Ben takes what Ana left");
}

#[tokio::test]
async fn the_portal_refuses_a_body_that_names_a_customer_by_phone_or_external_id() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    for named in [
        json!({"redeemRuleId": 3, "customerPhone": "+14155550101"}),
        json!({"redeemRuleId": 3, "customerExternalId": "POS-1"}),
    ] {
        let refused = stack.portal(&shop, Some(1001), "redeem-points", Some(named), None).await;
        assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{}", refused.text);
    }
    assert_eq!(stack.balance(&shop, 1001).await, 2500);
}

#[tokio::test]
async fn phones_saved_before_phones_were_unique_block_nobody_and_are_claimed_by_the_migration() {
    const CAL: u64 = 7003;
    let stack = Stack::start().await;
    let shop = stack.shop("legacy-phones").await;
    let client = tally_config::dynamodb_client(Some(&dynamodb_endpoint())).unwrap();
    // As before phones were unique: Ana's and Cal's records have a phone, and no item finds them by it.
    for (id, phone) in [(ANA, "+14155550101"), (CAL, "+14155550103")] {
        let body = json!({"customerId": id, "email": format!("c{id}@example.com"), "phone": phone});
        assert_eq!(enroll(&stack, &shop, body).await.status, 201);
        let (pk, sk) = keys::phone(&shop.id, phone);
        let delete = client.delete_item().table_name(stack.store.table());
        delete.key("PK", AttributeValue::S(pk)).key("SK", AttributeValue::S(sk)).send().await.unwrap();
    }
    let ben = json!({"customerId": BEN, "email": "ben@example.com", "phone": "+14155550101"});
    assert_eq!(enroll(&stack, &shop, ben).await.status, 201, "Ana's phone was free to claim");

    let claims = stack.store.shop(&shop.id).claim_legacy_phones().await.unwrap();
    let phone = |id: u64, phone: &str| (tally_tests::customer(id), Phone::parse(phone).unwrap());
    assert_eq!(claims.claimed, [phone(CAL, "+14155550103")]);
    assert_eq!(claims.held_by_another, [phone(ANA, "+14155550101")], "Ben's now: reported, left his");
    let cal = stack.get(&shop.key, "/api/external/customer-loyalty?customerPhone=%2B14155550103").await;
    assert_eq!(cal.body["customerId"].as_u64(), Some(CAL), "{}", cal.text);
    assert!(stack.store.shop(&shop.id).claim_legacy_phones().await.unwrap().claimed.is_empty(), "once");

    let ana = tally_tests::customer(ANA);
    let record = stack.shop_of(&shop.domain).await.unwrap();
    assert!(tally_app::privacy::redact_customer(&stack.deps, &record, ana).await.unwrap(), "Ana's erasure completes");
    let found = stack.get(&shop.key, "/api/external/customer-loyalty?customerPhone=%2B14155550101").await;
    assert_eq!(found.body["customerId"].as_u64(), Some(BEN), "and leaves Ben's phone his: {}", found.text);
}
