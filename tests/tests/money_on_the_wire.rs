//! Appstle's wire types over HTTP: money is a JSON number written from the decimal's own digits, and a
//! request may give it as a number or a string.

use serde_json::json;
use tally_tests::Stack;

const CUSTOMER: u64 = 5150;

#[tokio::test]
async fn money_goes_out_as_numbers_with_their_digits_and_comes_in_either_way() {
    let stack = Stack::start().await;
    let shop = stack.shop("wire").await;
    // One rule with numbers, one with strings: both read exactly.
    let by_number = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 500,
                           "discountValue": 5.00, "minimumSubtotal": 25.5});
    let by_number = stack.rule(&shop, by_number).await;
    let by_string =
        json!({"name": "$10.10 credit", "rewardType": "STORE_CREDIT", "pointsCost": 1000, "discountValue": "10.10"});
    let by_string = stack.rule(&shop, by_string).await;
    let refused = json!({"name": "r", "rewardType": "FIXED_AMOUNT", "pointsCost": 1, "discountValue": "five"});
    let refused = stack.post(&shop.key, "/api/external/point-redeem-rules", refused).await;
    assert_eq!((refused.status, refused.code()), (400, "INVALID_REQUEST"), "{}", refused.text);

    let rules = stack.get(&shop.key, "/api/external/point-redeem-rules").await;
    // `5.00` left the test as the float 5.0, whose text is `5.0`: that is what Tally read and keeps.
    assert!(rules.text.contains(r#""discountValue":5.0,"minimumSubtotal":25.5"#), "{}", rules.text);
    assert!(rules.text.contains(r#""discountValue":10.10"#), "{}", rules.text);

    stack.customer(&shop, CUSTOMER, 3000).await;
    for rule in [by_number, by_string] {
        let body = json!({"customerId": CUSTOMER, "redeemRuleId": rule});
        let reply = stack.post(&shop.key, "/api/external/redeem-points", body).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        for field in ["spentAmount", "storeCreditBalance"] {
            assert!(reply.body[field].is_number(), "{field} is a number: {}", reply.text);
        }
        assert!(reply.body["reward"]["amount"].is_number(), "{}", reply.text);
    }
    let loyalty = stack.get(&shop.key, &format!("/api/external/customer-loyalty?customerId={CUSTOMER}")).await;
    assert!(loyalty.text.contains(r#""storeCreditBalance":10.10"#), "{}", loyalty.text);
    assert!(
        loyalty.text.contains(r#""amount":10.10"#) && loyalty.text.contains(r#""amount":5.0,"#),
        "{}",
        loyalty.text
    );
    assert!(!loyalty.text.contains(r#"":"10.10""#), "no money as a string: {}", loyalty.text);
}
