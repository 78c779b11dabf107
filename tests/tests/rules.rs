//! Managing redemption rules: replacing one keeps its id and changes what later redemptions cost; deleting
//! one stops its redemption and leaves the rewards it gave alone. Refusals change nothing.

use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 5151;

fn five_off() -> Value {
    json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500, "discountValue": "5.00"})
}

fn path(rule: u64) -> String {
    format!("/api/external/point-redeem-rules/{rule}")
}

async fn rules(stack: &Stack, shop: &TestShop) -> Value {
    let listed = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    assert_eq!(listed.status, 200);
    listed.body
}

async fn redeem(stack: &Stack, shop: &TestShop, rule: u64) -> tally_tests::Reply {
    stack.post(&shop.key, "/api/external/redeem-points", json!({"customerId": CUSTOMER, "redeemRuleId": rule})).await
}

#[tokio::test]
async fn a_replaced_rule_keeps_its_id_and_prices_later_redemptions() {
    let (stack, shop, rule) = Stack::with_rule("rules-replace", five_off(), &[(CUSTOMER, 2000)]).await;
    let before = redeem(&stack, &shop, rule).await;
    assert_eq!(before.status, 200, "{:?}", before.body);

    let mut dearer = five_off();
    dearer["name"] = json!("$8 off");
    dearer["pointsCost"] = json!(800);
    dearer["discountValue"] = json!("8.00");
    dearer["expiresAfterDays"] = json!(14);
    let replaced = stack.put(&shop.key, &path(rule), dearer).await;
    assert_eq!(replaced.status, 200, "{:?}", replaced.body);
    assert_eq!((replaced.body["id"].as_u64(), replaced.body["pointsCost"].as_i64()), (Some(rule), Some(800)));
    assert_eq!(rules(&stack, &shop).await, json!([replaced.body]));

    let after = redeem(&stack, &shop, rule).await;
    assert_eq!(after.status, 200, "{:?}", after.body);
    assert_eq!(after.body["reward"]["pointsRedeemed"], 800);
    assert_eq!(after.body["reward"]["amount"], json!(8.0));
    assert_eq!(after.body["availablePoints"], 2000 - 500 - 800);
    let first = after.body["rewards"].as_array().unwrap().iter().find(|r| r["id"] == before.body["reward"]["id"]);
    assert_eq!(first.unwrap()["pointsRedeemed"], 500, "a reward already given keeps its price");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_deleted_rule_cannot_be_redeemed_and_its_rewards_stay() {
    let (stack, shop, rule) = Stack::with_rule("rules-delete", five_off(), &[(CUSTOMER, 2000)]).await;
    let given = redeem(&stack, &shop, rule).await;
    assert_eq!(given.status, 200, "{:?}", given.body);

    let deleted = stack.delete(&shop.key, Some("delete-1"), &path(rule)).await;
    assert_eq!((deleted.status, &deleted.body), (200, &json!({"id": rule, "deleted": true})));
    let retried = stack.delete(&shop.key, Some("delete-1"), &path(rule)).await;
    assert_eq!((retried.status, &retried.body, retried.replayed), (200, &deleted.body, true), "the first answer");
    let again = stack.delete(&shop.key, None, &path(rule)).await;
    assert_eq!((again.status, again.code()), (404, "RULE_NOT_FOUND"));

    assert_eq!(rules(&stack, &shop).await, json!([]));
    let refused = redeem(&stack, &shop, rule).await;
    assert_eq!((refused.status, refused.code()), (404, "RULE_NOT_FOUND"));
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 1500);
    assert_eq!(loyalty["rewards"][0]["status"], "UNUSED", "the reward it gave still works");
    assert_eq!(stack.rule(&shop, five_off()).await, rule + 1, "its id is never given again");
    stack.assert_audit_clean(&shop).await;
}

#[tokio::test]
async fn a_refused_change_changes_nothing() {
    let (stack, shop, rule) = Stack::with_rule("rules-refused", five_off(), &[]).await;
    let stranger = stack.shop("rules-stranger").await;
    let original = rules(&stack, &shop).await;

    let mut unknown_field = five_off();
    unknown_field["colour"] = json!("red");
    let mut another_id = five_off();
    another_id["id"] = json!(rule + 1);
    let percent_over = json!({"name": "x", "rewardType": "PERCENTAGE", "pointsCost": 100, "discountValue": "150"});
    let cases: Vec<(&TestShop, String, Value, u16, &str)> = vec![
        (&shop, path(rule + 1), five_off(), 404, "RULE_NOT_FOUND"),
        (&shop, path(rule), percent_over, 400, "INVALID_REQUEST"),
        (&shop, path(rule), unknown_field, 400, "INVALID_REQUEST"),
        (&shop, path(rule), another_id, 400, "INVALID_REQUEST"),
        (&shop, path(rule), json!({"name": "$5 off"}), 400, "INVALID_REQUEST"),
        (&shop, "/api/external/point-redeem-rules/first".into(), five_off(), 400, "INVALID_REQUEST"),
        (&stranger, path(rule), five_off(), 404, "RULE_NOT_FOUND"),
    ];
    for (who, path, body, status, code) in cases {
        let reply = stack.put(&who.key, &path, body.clone()).await;
        assert_eq!((reply.status, reply.code()), (status, code), "PUT {path} {body}: {:?}", reply.body);
    }
    let reply = stack.delete(&stranger.key, None, &path(rule)).await;
    assert_eq!((reply.status, reply.code()), (404, "RULE_NOT_FOUND"), "another shop's key reaches nothing");
    let reply = stack.delete("tly_nobody", None, &path(rule)).await;
    assert_eq!((reply.status, reply.code()), (401, "UNAUTHORIZED"));

    assert_eq!(rules(&stack, &shop).await, original, "the rule is as it was");
    assert_eq!(rules(&stack, &stranger).await, json!([]), "and nothing was created");
}
