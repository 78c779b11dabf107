//! Every GraphQL document Tally sends, and the variables its builders make, checked against the
//! vendored Admin API 2026-10 schema: an unknown field, argument or input field fails here.

use apollo_compiler::executable::ExecutableDocument;
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonMap;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tally_domain::ids::{CustomerId, RewardId, RuleId, VariantId};
use tally_domain::reward::{DeductionMode, Issuance, Reward};
use tally_domain::rule::Priced;
use tally_domain::rule::{CombinesWith, RedeemRule, RewardType, RuleStatus};
use tally_domain::shop::Shop;
use tally_shopify::{discount_input, store_credit_input, DiscountMutation, API_VERSION, DOCUMENTS};

fn drawn() -> (RewardId, String) {
    (RewardId::from_entropy(9), "TALLY-ABCDEFGHJK".into())
}

fn check(name: &str, document: &str, variables: Value) {
    let schema = shopify_emulator::load_schema();
    let document = ExecutableDocument::parse_and_validate(schema, document, format!("{name}.graphql"))
        .unwrap_or_else(|e| panic!("{name} does not validate:\n{}", e.errors));
    let operation = document.operations.get(Some(name)).unwrap_or_else(|_| panic!("{name} names its operation"));
    let variables: JsonMap = serde_json::from_value(variables).unwrap();
    if let Err(e) = coerce_variable_values(schema, operation, &variables) {
        panic!("{name}: the variables do not fit: {}", e.message());
    }
}

fn rule(kind: RewardType, value: Option<&str>) -> RedeemRule {
    RedeemRule {
        id: RuleId::FIRST,
        name: "reward".into(),
        status: RuleStatus::Active,
        reward_type: kind,
        points_cost: 100,
        variable: None,
        discount_value: value.map(|v| v.parse().unwrap()),
        minimum_subtotal: Some("25.00".parse().unwrap()),
        expires_after_days: Some(30),
        variant_ids: vec![],
        combines_with: CombinesWith { order_discounts: true, ..CombinesWith::default() },
        vip_tier: None,
    }
}

#[test]
fn the_client_pins_the_schema_version_it_is_checked_against() {
    assert_eq!(API_VERSION, shopify_emulator::API_VERSION);
}

#[test]
fn every_document_and_every_discount_input_fits_the_schema() {
    let shop = Shop::new("schema.myshopify.com", tally_domain::shop::Access::StaticToken, tally_tests::now()).unwrap();
    let document = |name: &str| DOCUMENTS.iter().find(|(n, _)| *n == name).unwrap().1;
    for (kind, value) in [
        (RewardType::FixedAmount, Some("5.00")),
        (RewardType::Percentage, Some("15")),
        (RewardType::FreeShipping, None),
        (RewardType::FreeProduct, None),
    ] {
        let rule = rule(kind, value);
        let priced = Priced { variant: VariantId::new(42), ..Priced::at_cost(&rule) };
        let customer = CustomerId::new(7).unwrap();
        let price = Some(Decimal::new(1999, 2));
        let reward =
            Reward::pending(&shop, customer, &rule, &priced, price, DeductionMode::Immediate, shop.created_at, drawn());
        let Issuance::Discount(spec) = reward.issuance(&rule) else { panic!("{kind} is a discount") };
        let (name, input) = match discount_input(&spec) {
            DiscountMutation::Basic(input) => ("CreateBasicDiscount", input),
            DiscountMutation::FreeShipping(input) => ("CreateFreeShippingDiscount", input),
        };
        check(name, document(name), json!({"input": input}));
    }
    let credit_rule = rule(RewardType::StoreCredit, Some("10"));
    let priced = Priced::at_cost(&credit_rule);
    let customer = CustomerId::new(7).unwrap();
    let credit = Reward::pending(
        &shop,
        customer,
        &credit_rule,
        &priced,
        None,
        DeductionMode::Immediate,
        shop.created_at,
        drawn(),
    );
    let Issuance::StoreCredit(credit) = credit.issuance(&credit_rule) else { panic!("store credit") };
    check(
        "CreditStoreCredit",
        document("CreditStoreCredit"),
        json!({"id": "gid://shopify/Customer/7", "input": store_credit_input(&credit)}),
    );
    check("FindDiscountByCode", document("FindDiscountByCode"), json!({"code": "TALLY-ABC"}));
    check("VariantPrice", document("VariantPrice"), json!({"id": "gid://shopify/ProductVariant/42"}));
    check("ListDiscountCodes", document("ListDiscountCodes"), json!({"after": "100"}));
    check("DeactivateDiscount", document("DeactivateDiscount"), json!({"id": "gid://shopify/DiscountCodeNode/1"}));
    check("OrderState", document("OrderState"), json!({"id": "gid://shopify/Order/450789469"}));
    check("OrderByCode", document("OrderByCode"), json!({"query": "discount_code:\"TALLY-ABC\""}));
    check("WebhookSubscriptions", document("WebhookSubscriptions"), json!({}));
    let subscription = json!({"uri": "https://api.example.com/webhooks/shopify", "format": "JSON"});
    for topic in tally_app::shops::TOPICS {
        check("SubscribeWebhook", document("SubscribeWebhook"), json!({"topic": topic, "subscription": subscription}));
    }
    let payload = json!({"customer_id": 7, "Event id": "s.myshopify.com/7/ledger/1/0", "Points": 5, "Balance": 5});
    check(
        "FlowTriggerReceive",
        document("FlowTriggerReceive"),
        json!({"handle": "tally-points-changed", "payload": payload}),
    );
    let namespace = tally_app::events::wire::METAFIELD_NAMESPACE;
    let key = tally_app::events::wire::METAFIELD_KEY;
    check(
        "CustomerMetafield",
        document("CustomerMetafield"),
        json!({"id": "gid://shopify/Customer/7", "namespace": namespace, "key": key}),
    );
    let metafield = json!({"ownerId": "gid://shopify/Customer/7", "namespace": namespace, "key": key, "type": "json",
        "value": "{\"balance\": 5}", "compareDigest": null});
    check("SetMetafields", document("SetMetafields"), json!({"metafields": [metafield]}));
    assert_eq!(DOCUMENTS.len(), 14, "every document is checked above");
}

#[test]
fn the_check_catches_unknown_fields_arguments_and_inputs() {
    let schema = shopify_emulator::load_schema();
    for bad in [
        "query Q { codeDiscountNodeByCode(code: \"A\") { id nonsense } }",
        "query Q { codeDiscountNodeByCode(code: \"A\", first: 1) { id } }",
        "query Q { productVariant { id } }",
    ] {
        assert!(ExecutableDocument::parse_and_validate(schema, bad, "bad.graphql").is_err(), "{bad}");
    }
    let document = DOCUMENTS.iter().find(|(n, _)| *n == "CreditStoreCredit").unwrap().1;
    let document = ExecutableDocument::parse_and_validate(schema, document, "credit.graphql").unwrap();
    let operation = document.operations.get(None).unwrap();
    let missing_amount: JsonMap =
        serde_json::from_value(json!({"id": "gid://shopify/Customer/1", "input": {}})).unwrap();
    assert!(coerce_variable_values(schema, operation, &missing_amount).is_err());
}
