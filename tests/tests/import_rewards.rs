//! `tally-cli import` beyond customers: the unused rewards whose codes exist in Shopify, rule ids Tally
//! deleted, and another program's text ids for its rules (Mage's `reward_abc`).

use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

use crate::import::{demo, export, report, scratch, CUSTOMERS};

/// The code made in the shop's Shopify for the customer, as the program the shop comes from made it.
async fn code_in_shopify(stack: &Stack, shop: &TestShop, code: &str, customer: u64) {
    let mutation = "mutation($input: DiscountCodeBasicInput!) { discountCodeBasicCreate(basicCodeDiscount: $input) \
                    { codeDiscountNode { id } userErrors { message } } }";
    let input = json!({"title": code, "code": code, "startsAt": "2026-01-01T00:00:00Z", "usageLimit": 1,
        "context": {"customers": {"add": [format!("gid://shopify/Customer/{customer}")]}},
        "customerGets": {"value": {"discountAmount": {"amount": "5.00", "appliesOnEachItem": false}},
            "items": {"all": true}}});
    let made = stack.shopify(shop, mutation, json!({"input": input})).await;
    let errors = &made["data"]["discountCodeBasicCreate"]["userErrors"];
    assert!(errors.as_array().is_some_and(Vec::is_empty), "{made}");
}

/// What a reward shows a customer that an import must carry over.
fn shown(reward: &Value) -> Value {
    let fields = [
        "discountCode",
        "status",
        "discountType",
        "discountValue",
        "pointsRedeemed",
        "expireDate",
        "createAt",
        "pointRedeemRuleId",
        "description",
    ];
    fields.iter().map(|f| reward[*f].clone()).collect()
}

#[tokio::test]
async fn unused_rewards_move_in_with_their_codes_and_a_second_run_changes_nothing() {
    let stack = Stack::start().await;
    let source = demo(&stack).await;
    let rules = stack.get(&source.key, "/api/external/point-redeem-rules").await.body;
    let redeem = json!({"customerId": 2004, "redeemRuleId": rules[0]["id"]});
    let redeemed = stack.post(&source.key, "/api/external/redeem-points", redeem).await;
    assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    let dir = scratch("rewards");
    let (rules_file, customers_file) = export(&stack, &source, &dir).await;

    // The unused rewards as Appstle's reward objects with their customer's id, and two Tally cannot take.
    let target = stack.shop("import-rewards-target").await;
    let mut lines = vec![];
    for (id, ..) in CUSTOMERS {
        for reward in stack.loyalty(&source, id).await["rewards"].as_array().unwrap() {
            code_in_shopify(&stack, &target, reward["discountCode"].as_str().unwrap(), id).await;
            lines.push(reward.to_string());
        }
    }
    assert_eq!(lines.len(), 1, "2004's reward");
    let ghost = json!({"customerId": 2001, "discountCode": "NOT-IN-SHOPIFY", "discountType": "FIXED",
        "discountValue": 5, "status": "UNUSED", "pointsRedeemed": 100, "pointRedeemRuleId": rules[0]["id"]});
    let used = json!({"customerId": 2001, "discountCode": "SPENT", "discountType": "FIXED", "status": "USED",
        "pointsRedeemed": 100, "pointRedeemRuleId": rules[0]["id"]});
    // A reward from before Tally's reward ids told their time (2024), for a rule the import did not bring.
    code_in_shopify(&stack, &target, "APPSTLE-2023", 2001).await;
    let old = json!({"customerId": 2001, "discountCode": "APPSTLE-2023", "discountType": "PERCENTAGE",
        "discountValue": 10, "status": "UNUSED", "pointsRedeemed": 300, "pointRedeemRuleId": 99,
        "createAt": "2023-05-01T00:00:00Z"});
    lines.extend([ghost.to_string(), used.to_string(), old.to_string()]);
    let rewards_file = dir.join("rewards.jsonl");
    std::fs::write(&rewards_file, lines.join("\n")).unwrap();
    let rewards_file = rewards_file.display().to_string();
    let args = [
        "import",
        "--shop",
        &target.domain,
        "--format",
        "appstle",
        "--rules",
        &rules_file,
        "--customers",
        &customers_file,
        "--rewards",
        &rewards_file,
    ];

    // A dry run of the first import checks each reward against Shopify, counting the customers it brings.
    let dry: Vec<&str> = args.iter().copied().chain(["--dry-run"]).collect();
    let (_, printed) = stack.cli(&dry).await;
    let checked = report(&printed);
    assert_eq!((&checked["rewards"]["imported"], &checked["rewards"]["refused"]), (&json!(2), &json!(2)), "{printed}");
    assert_eq!(stack.get(&target.key, "/api/external/point-redeem-rules").await.body, json!([]), "nothing written");

    let (ok, printed) = stack.cli(&args).await;
    assert!(!ok, "two refused: {printed}");
    let first = report(&printed);
    assert_eq!((&first["rewards"]["imported"], &first["rewards"]["refused"]), (&json!(2), &json!(2)), "{printed}");
    let reasons = first["rewards"]["refusals"].to_string();
    for reason in ["Shopify has no discount with this code", "status USED: only UNUSED rewards"] {
        assert!(reasons.contains(reason), "{reason}: {reasons}");
    }
    let (from, to) = (stack.loyalty(&source, 2004).await, stack.loyalty(&target, 2004).await);
    assert_eq!(to["rewards"].as_array().map(Vec::len), Some(1), "{to}");
    assert_eq!(shown(&to["rewards"][0]), shown(&from["rewards"][0]));
    assert_eq!((&to["availablePoints"], &to["spentPoints"]), (&from["availablePoints"], &from["spentPoints"]));

    let older = stack.loyalty(&target, 2001).await;
    assert_eq!(
        older["rewards"][0]["discountCode"], "APPSTLE-2023",
        "shown, though its id cannot tell its time: {older}"
    );
    assert_eq!((&older["rewards"][0]["description"], &older["spentPoints"]), (&json!("APPSTLE-2023"), &json!(300)));
    let newest = stack.rule(&target, json!({"name": "Ship", "rewardType": "FREE_SHIPPING", "pointsCost": 50})).await;
    assert!(newest > 99, "rule 99, which the reward names, is kept from new rules: {newest}");
    let (audited, says) = stack.cli(&["audit", "--shop", &target.domain]).await;
    assert!(audited, "imported rewards owe no ledger entry: {says}");

    // A second run finds the reward there and changes nothing.
    let (_, printed) = stack.cli(&args).await;
    let again = report(&printed);
    assert_eq!((&again["rewards"]["imported"], &again["rewards"]["alreadyThere"]), (&json!(0), &json!(2)));
    assert_eq!(stack.loyalty(&target, 2004).await, to);

    // The imported reward is Tally's like any other: refunded, its points come back and its code stops.
    let path = format!("/api/external/rewards/{}/refund", to["rewards"][0]["id"]);
    let refunded = stack.post(&target.key, &path, json!({"customerId": 2004, "reason": "moved in"})).await;
    assert_eq!(refunded.status, 200, "{:?}", refunded.body);
    let back = stack.loyalty(&target, 2004).await;
    let points = |l: &Value| l["availablePoints"].as_i64().unwrap();
    assert_eq!(points(&back), points(&to) + 100);
    let code = &to["rewards"][0]["discountCode"];
    let discount = stack.discounts(&target).await.into_iter().find(|d| &d["code"] == code).unwrap();
    assert_ne!(discount["status"], "ACTIVE", "{discount}");
}

#[tokio::test]
async fn an_id_tally_deleted_is_not_taken_again_and_text_ids_become_aliases_mage_s_calls_accept() {
    let stack = Stack::start().await;
    let shop = stack.shop("import-aliases").await;
    let deleted = stack.rule(&shop, json!({"name": "Old", "rewardType": "FREE_SHIPPING", "pointsCost": 50})).await;
    assert_eq!(stack.delete(&shop.key, None, &format!("/api/external/point-redeem-rules/{deleted}")).await.status, 200);
    let dir = scratch("aliases");
    let rules = dir.join("rules.csv");
    std::fs::write(
        &rules,
        format!(
            "id,name,rewardType,pointsCost,discountValue\n{deleted},Reborn,FIXED_AMOUNT,100,1\n\
             reward_abc,£5 off,FIXED_AMOUNT,500,5\nreward_xyz,10% off,PERCENTAGE,900,10\n"
        ),
    )
    .unwrap();
    let customers = dir.join("customers.csv");
    std::fs::write(&customers, "customerId,email,points\n6789012345,mage@example.com,700\n").unwrap();
    let (rules, customers) = (rules.display().to_string(), customers.display().to_string());
    let args = ["import", "--shop", &shop.domain, "--format", "csv", "--rules", &rules, "--customers", &customers];
    let (ok, printed) = stack.cli(&args).await;
    assert!(!ok, "the deleted id is refused: {printed}");
    let first = report(&printed);
    assert_eq!((&first["rules"]["imported"], &first["rules"]["refused"]), (&json!(2), &json!(1)), "{printed}");
    let reason = first["rules"]["refusals"][0]["reason"].to_string();
    assert!(reason.contains(&format!("rule {deleted} was deleted in Tally")), "{reason}");
    let listed = stack.get(&shop.key, "/api/external/point-redeem-rules").await.body;
    let ids: Vec<u64> = listed.as_array().unwrap().iter().filter_map(|r| r["id"].as_u64()).collect();
    assert_eq!(ids.len(), 2, "{listed}");
    assert!(ids.iter().all(|id| *id > deleted), "new ids past the deleted one: {ids:?}");

    // A second run maps each text id to the rule it made, and makes no other.
    let (_, printed) = stack.cli(&args).await;
    let again = report(&printed);
    assert_eq!((&again["rules"]["imported"], &again["rules"]["alreadyThere"]), (&json!(0), &json!(2)), "{printed}");
    assert_eq!(stack.get(&shop.key, "/api/external/point-redeem-rules").await.body, listed);

    // A Mage client that kept Mage's ids purchases with them.
    let purchase = |id: &str| {
        let url = format!("{}/v1/rewards/{id}/purchase", stack.api);
        let request = stack.http.post(url).header("Authorization", &shop.key);
        stack.send(request.json(&json!({"customer_identifier": "6789012345"})))
    };
    let bought = purchase("reward_abc").await;
    assert_eq!(bought.status, 201, "{:?}", bought.body);
    let entry = &bought.body["data"]["attributes"];
    assert_eq!((&entry["reward_name"], &entry["points_spent"]), (&json!("£5 off"), &json!(500)));
    assert_eq!(entry["reward_id"], "reward_abc", "named as the client named it");
    // Mage's list names them by Mage's ids too.
    let listed =
        stack.send(stack.http.get(format!("{}/v1/rewards", stack.api)).header("Authorization", &shop.key)).await;
    let names: Vec<&str> = listed.body["data"].as_array().unwrap().iter().filter_map(|r| r["id"].as_str()).collect();
    assert_eq!(names, vec!["reward_abc", "reward_xyz"], "{:?}", listed.body);
    let unknown = purchase("reward_nope").await;
    assert_eq!((unknown.status, &unknown.body["errors"][0]["code"]), (404, &json!("RULE_NOT_FOUND")));
    let short = purchase("reward_xyz").await;
    assert_eq!(short.status, 422, "200 points left: {:?}", short.body);

    // The codes Mage gave, from a CSV: one for a customer imported, one for a customer who is not.
    code_in_shopify(&stack, &shop, "MAGE-OLD-1", 6_789_012_345).await;
    code_in_shopify(&stack, &shop, "MAGE-OLD-2", 42).await;
    let rewards = dir.join("rewards.csv");
    let rule = ids[0];
    std::fs::write(
        &rewards,
        format!(
            "customerId,discountCode,pointRedeemRuleId,discountType,discountValue,pointsRedeemed,expireDate\n\
             6789012345,MAGE-OLD-1,{rule},FIXED,5.00,500,2030-01-01T00:00:00Z\n42,MAGE-OLD-2,{rule},FIXED,5,500,\n"
        ),
    )
    .unwrap();
    let rewards = rewards.display().to_string();
    let (ok, printed) = stack.cli(&["import", "--shop", &shop.domain, "--format", "csv", "--rewards", &rewards]).await;
    assert!(!ok, "{printed}");
    let read = report(&printed);
    assert_eq!((&read["rewards"]["imported"], &read["rewards"]["refused"]), (&json!(1), &json!(1)), "{printed}");
    assert!(read["rewards"]["refusals"].to_string().contains("customer 42 is not in Tally"), "{printed}");
    let loyalty = stack.loyalty(&shop, 6_789_012_345).await;
    let old = loyalty["rewards"].as_array().unwrap().iter().find(|r| r["discountCode"] == "MAGE-OLD-1").cloned();
    let old = old.unwrap_or_else(|| panic!("{loyalty}"));
    assert_eq!((&old["status"], &old["expireDate"]), (&json!("UNUSED"), &json!("2030-01-01T00:00:00Z")));
    assert_eq!((old["discountValue"].as_f64(), &old["pointsRedeemed"]), (Some(5.0), &json!(500)));
}
