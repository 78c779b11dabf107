use lambda_http::http::header;
use tally_app::error::ShopifyDown;
use tally_app::ports::StoreError;
use tally_domain::customer::CustomerRef;
use tally_domain::ids::{CustomerId, RewardId, RuleId, VariantId};
use tally_domain::reward::{FailureReason, NotRefundable};

use super::*;

fn body(response: &Response<Body>) -> serde_json::Value {
    match response.body() {
        Body::Text(text) => serde_json::from_str(text).unwrap(),
        other => panic!("{other:?}"),
    }
}

#[test]
fn each_outcome_has_the_status_and_code_of_the_error_table() {
    let (customer, rule, reward) = (CustomerId::new(1).unwrap(), RuleId::new(1).unwrap(), RewardId::from_entropy(1));
    let table: Vec<(Problem, u16, &str)> = vec![
        (Invalid::NoBody.into(), 400, "INVALID_REQUEST"),
        (Refused::InsufficientPoints { available: 1, required: 2 }.into(), 400, "INSUFFICIENT_POINTS"),
        (Refused::VariantRequired.into(), 400, "VARIANT_REQUIRED"),
        (Refused::NotEnrolled.into(), 400, "CUSTOMER_NOT_ENROLLED"),
        (Refused::RuleInactive(rule).into(), 400, "RULE_INACTIVE"),
        (Refused::DelayedStoreCredit.into(), 400, "INVALID_REQUEST"),
        (Unauthorized::UnknownKey.into(), 401, "UNAUTHORIZED"),
        (Problem::not_logged_in(), 401, "NOT_LOGGED_IN"),
        (Refused::Excluded.into(), 403, "CUSTOMER_EXCLUDED"),
        (Refused::TierRestricted("Gold".into()).into(), 403, "TIER_RESTRICTED"),
        (Problem::uninstalled(), 403, "SHOP_UNINSTALLED"),
        (Missing::Customer(CustomerRef::Id(customer)).into(), 404, "CUSTOMER_NOT_FOUND"),
        (Missing::Rule(rule).into(), 404, "RULE_NOT_FOUND"),
        (Missing::Variant(VariantId::new(1).unwrap()).into(), 404, "VARIANT_NOT_FOUND"),
        (EnrollRefused::AlreadyEnrolled(customer).into(), 409, "CUSTOMER_ALREADY_ENROLLED"),
        (
            RefundError::NotRefundable { reward_id: reward, why: NotRefundable::Used }.into(),
            409,
            "REWARD_NOT_REFUNDABLE",
        ),
        (DiscountError::UnknownCode("X".into()).into(), 404, "DISCOUNT_CODE_NOT_FOUND"),
        (DiscountError::NotUsable(tally_domain::reward::RewardStatus::Used).into(), 409, "DISCOUNT_CODE_NOT_USABLE"),
        (
            DiscountError::NotApplicable {
                from: tally_domain::reward::RewardStatus::Used,
                to: tally_app::discounts::CodeStatus::Unused,
            }
            .into(),
            409,
            "STATUS_NOT_APPLICABLE",
        ),
        (DiscountError::Unsupported.into(), 400, "INVALID_REQUEST"),
        (KeyError::Reused.into(), 422, "IDEMPOTENCY_KEY_REUSED"),
        (KeyError::InProgress.into(), 409, "REQUEST_IN_PROGRESS"),
        (RedeemError::NotIssued(FailureReason::ShopifyRefused).into(), 503, "SHOPIFY_UNAVAILABLE"),
        (RefundError::NotReverted(ShopifyDown::Refused).into(), 503, "SHOPIFY_UNAVAILABLE"),
        (Unavailable::Busy.into(), 503, "TRY_AGAIN"),
        (
            Unavailable::Store(StoreError("ProvisionedThroughputExceededException".into())).into(),
            503,
            "SERVICE_UNAVAILABLE",
        ),
    ];
    for (problem, expected_status, expected_code) in table {
        let response = problem.response();
        assert_eq!(response.status().as_u16(), expected_status, "{problem:?}");
        let error = &body(&response)["error"];
        assert_eq!(error["code"], expected_code);
        assert!(!error["message"].as_str().unwrap().is_empty());
    }
}

#[test]
fn no_source_reaches_the_client_and_a_busy_key_says_when_to_retry() {
    let failed =
        Problem::from(Unavailable::Store(StoreError("ValidationException: secret table name".into()))).response();
    assert!(!body(&failed).to_string().contains("ValidationException"));
    let shopify = Problem::from(Unavailable::Shopify(ShopifyDown::Refused)).response();
    assert!(!body(&shopify).to_string().contains("Refused"), "{}", body(&shopify));
    let in_progress = Problem::from(KeyError::InProgress).response();
    assert_eq!(in_progress.headers()[header::RETRY_AFTER], "1");
    let short = Problem::from(Refused::InsufficientPoints { available: 499, required: 500 }).response();
    assert_eq!(body(&short)["error"]["message"], "Insufficient points");
    assert_eq!(body(&short)["error"]["detail"], "Customer has 499 points available but 500 are required");
    let not_issued = Problem::from(RedeemError::NotIssued(FailureReason::ShopifyUnavailable)).response();
    assert!(body(&not_issued)["error"]["detail"].as_str().unwrap().contains("SHOPIFY_UNAVAILABLE"));
}
