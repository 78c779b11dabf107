//! The audit finds what disagrees: a balance changed outside the ledger, and a Tally code in Shopify that no
//! reward has; `tally-cli audit` then exits non-zero.

use serde_json::json;
use tally_app::ports::ShopifyShop;
use tally_domain::ids::RewardId;
use tally_domain::reward::{DeductionMode, Issuance, Reward};
use tally_domain::rule::Priced;
use tally_tests::{now, Stack};

#[tokio::test]
async fn the_audit_reports_a_tampered_balance_and_a_stray_code() {
    let rule = json!({"name": "$2 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 200, "discountValue": "2.00"});
    let (stack, shop, rule) = Stack::with_rule("audited", rule, &[(31, 1000), (32, 1000)]).await;
    let redeemed =
        stack.post(&shop.key, "/api/external/redeem-points", json!({"customerId": 31, "redeemRuleId": rule})).await;
    assert_eq!(redeemed.status, 200, "{:?}", redeemed.body);
    let clean = stack.assert_audit_clean(&shop).await;
    assert_eq!((clean.customers, clean.rewards, clean.codes_in_shopify), (2, 1, 1));
    assert!(cli_audit(&stack, &shop.domain).await, "a clean audit exits 0");

    // Customer 32's balance changes without a ledger entry.
    let mut customer = stack.customer_record(&shop.domain, 32).await.unwrap();
    customer.available_points += 500;
    stack.put_customer(&shop.domain, &customer).await;
    // A discount with the shop's prefix is created in Shopify with no reward behind it.
    let record = stack.shop_of(&shop.domain).await.unwrap();
    let rule = stack.rule_of(&shop.domain, rule).await.unwrap();
    let drawn = (RewardId::from_entropy(tally_tests::random_id()), format!("{}STRAY00001", record.code_prefix));
    let priced = Priced::at_cost(&rule);
    let stray = Reward::pending(
        &record,
        tally_tests::customer(31),
        &rule,
        &priced,
        None,
        DeductionMode::Immediate,
        now(),
        drawn,
    );
    let stray_code = stray.discount_code.clone().unwrap();
    let Issuance::Discount(discount) = stray.issuance(&rule) else { panic!("a discount reward") };
    tally_app::access::shopify(&stack.deps, &record, None).create_discount(&discount).await.unwrap();

    let report = tally_app::audit::audit(&stack.deps, &shop.id).await.unwrap();
    let found = |text: &str| report.problems.iter().any(|p| p.contains(text));
    assert!(found("customer 32: balance 1500"), "the tampered balance is reported: {:#?}", report.problems);
    assert!(found(&format!("code {stray_code} is in Shopify but no reward has it")), "{:#?}", report.problems);
    assert!(found("customer 32: 1500 points available, but the lots hold 1000"), "{:#?}", report.problems);
    assert!(!found("customer 31"), "the untouched customer is not: {:#?}", report.problems);
    assert_eq!(report.problems.len(), 3, "{:#?}", report.problems);
    assert!(!cli_audit(&stack, &shop.domain).await, "an audit that finds problems exits non-zero");
}

/// `tally-cli audit --shop D` on the test's table, as an operator runs it; whether it exited 0.
async fn cli_audit(stack: &Stack, domain: &str) -> bool {
    let (ok, printed) = stack.cli(&["audit", "--shop", domain]).await;
    println!("{printed}");
    ok
}
