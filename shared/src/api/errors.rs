//! The one map from Tally's outcomes to HTTP: each error's status, its stable code, and Appstle's message
//! where Appstle names one. Errors go out as `{"error": {code, message, detail}}`; the detail never
//! carries an SDK message or a source error.

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;

use crate::domain::error::TallyError;
use crate::domain::rule::VariableCost;

/// `Retry-After` on `409 REQUEST_IN_PROGRESS`. A live first request answers well within it; one whose
/// Lambda died frees its key when its lock expires, and the retries that come before get 409 again.
const RETRY_IN_PROGRESS_SECONDS: u64 = 1;

pub fn status(err: &TallyError) -> u16 {
    use TallyError::*;
    match err {
        InvalidRequest(_)
        | InvalidPoints(_)
        | InsufficientPoints { .. }
        | VariantRequired
        | CustomerNotEnrolled
        | RuleInactive(_)
        | BadCredentials(_) => 400,
        Unauthorized(_) | NotLoggedIn => 401,
        CustomerExcluded | TierRestricted(_) | ShopUninstalled => 403,
        CustomerNotFound(_) | RuleNotFound(_) | VariantNotFound(_) | RewardNotFound(_) | ShopNotFound(_) => 404,
        CustomerAlreadyEnrolled(_)
        | EmailInUse(_)
        | PhoneInUse(_)
        | ExternalIdInUse(_)
        | RewardNotRefundable { .. }
        | RequestInProgress
        | ShopExists(_)
        | KeyInUse => 409,
        IdempotencyKeyReused => 422,
        ShopifyUnavailable(_) | ShopifyNotReverted(_) | Busy | Internal(_) => 503,
    }
}

/// The stable machine-readable code clients branch on.
pub fn code(err: &TallyError) -> &'static str {
    use TallyError::*;
    match err {
        InvalidRequest(_) => "INVALID_REQUEST",
        InvalidPoints(_) => "INVALID_POINTS",
        InsufficientPoints { .. } => "INSUFFICIENT_POINTS",
        VariantRequired => "VARIANT_REQUIRED",
        VariantNotFound(_) => "VARIANT_NOT_FOUND",
        CustomerNotEnrolled => "CUSTOMER_NOT_ENROLLED",
        RuleInactive(_) => "RULE_INACTIVE",
        Unauthorized(_) => "UNAUTHORIZED",
        CustomerExcluded => "CUSTOMER_EXCLUDED",
        TierRestricted(_) => "TIER_RESTRICTED",
        CustomerNotFound(_) => "CUSTOMER_NOT_FOUND",
        RuleNotFound(_) => "RULE_NOT_FOUND",
        CustomerAlreadyEnrolled(_) => "CUSTOMER_ALREADY_ENROLLED",
        EmailInUse(_) => "EMAIL_IN_USE",
        PhoneInUse(_) => "PHONE_IN_USE",
        ExternalIdInUse(_) => "EXTERNAL_ID_IN_USE",
        RewardNotFound(_) => "REWARD_NOT_FOUND",
        RewardNotRefundable { .. } => "REWARD_NOT_REFUNDABLE",
        ShopifyUnavailable(_) | ShopifyNotReverted(_) => "SHOPIFY_UNAVAILABLE",
        Busy => "TRY_AGAIN",
        ShopNotFound(_) => "NOT_FOUND",
        ShopExists(_) => "SHOP_EXISTS",
        KeyInUse => "KEY_IN_USE",
        ShopUninstalled => "SHOP_UNINSTALLED",
        NotLoggedIn => "NOT_LOGGED_IN",
        BadCredentials(_) => "BAD_CREDENTIALS",
        IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
        RequestInProgress => "REQUEST_IN_PROGRESS",
        Internal(_) => "SERVICE_UNAVAILABLE",
    }
}

/// The short human message; Appstle's wording where its documentation names one. Invalid points name the
/// range a customer may choose from.
pub fn message(err: &TallyError) -> std::borrow::Cow<'static, str> {
    use TallyError::*;
    let text = match err {
        InvalidPoints(range) => {
            let VariableCost { points_step, min_points, max_points, .. } = range.cost;
            return format!("Points must be a multiple of {points_step} from {min_points} to {max_points}").into();
        }
        InvalidRequest(_) => "Invalid request",
        InsufficientPoints { .. } => "Insufficient points",
        VariantRequired => "Variant ID required",
        VariantNotFound(_) => "Variant not found",
        CustomerNotEnrolled => "Customer not enrolled",
        RuleInactive(_) => "Redemption rule is not active",
        Unauthorized(_) => "Unauthorized",
        CustomerExcluded => "Customer excluded",
        TierRestricted(_) => "Reward restricted to another VIP tier",
        CustomerNotFound(_) => "Customer not found",
        RuleNotFound(_) => "Redemption rule not found",
        CustomerAlreadyEnrolled(_) => "Customer already enrolled",
        EmailInUse(_) => "Email already in use",
        PhoneInUse(_) => "Phone already in use",
        ExternalIdInUse(_) => "External id already in use",
        RewardNotFound(_) => "Reward not found",
        RewardNotRefundable { .. } => "Reward cannot be refunded",
        ShopifyUnavailable(_) => "Shopify could not create the reward; no points were taken",
        ShopifyNotReverted(_) => "Shopify could not remove the code; nothing was changed",
        Busy => "Try again",
        ShopNotFound(_) => "Not found",
        ShopExists(_) => "Shop exists",
        KeyInUse => "API key in use",
        ShopUninstalled => "Shop uninstalled",
        NotLoggedIn => "Not logged in",
        BadCredentials(_) => "Credentials refused",
        IdempotencyKeyReused => "Idempotency key reused",
        RequestInProgress => "Request in progress",
        Internal(_) => "Service temporarily unavailable",
    };
    text.into()
}

/// The detail shown to the client: never an SDK message or a source error.
pub fn detail(err: &TallyError) -> String {
    match err {
        TallyError::Internal(_) => "Tally could not complete the request. Try again later.".into(),
        other => other.to_string(),
    }
}

/// The response for an error, logged at the level it deserves.
pub fn error_response(err: &TallyError) -> Response<Body> {
    match err {
        TallyError::Internal(source) => tracing::error!(error = %source, "request failed"),
        _ if status(err) >= 500 => tracing::warn!(code = code(err), detail = %err, "request not completed"),
        _ => tracing::info!(code = code(err), detail = %err, "request refused"),
    }
    let body = json!({"error": {"code": code(err), "message": message(err), "detail": detail(err)}});
    let mut response = Response::new(Body::Text(body.to_string()));
    *response.status_mut() = StatusCode::from_u16(status(err)).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let TallyError::RequestInProgress = err {
        response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_IN_PROGRESS_SECONDS));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::CustomerRef;
    use crate::domain::error::{Invalid, Unauthorized, Unavailable};
    use crate::domain::reward::NotRefundable;

    fn body(response: &Response<Body>) -> serde_json::Value {
        match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn each_outcome_has_the_status_and_code_of_the_error_table() {
        let table: Vec<(TallyError, u16, &str)> = vec![
            (Invalid::NoBody.into(), 400, "INVALID_REQUEST"),
            (TallyError::InsufficientPoints { available: 1, required: 2 }, 400, "INSUFFICIENT_POINTS"),
            (TallyError::VariantRequired, 400, "VARIANT_REQUIRED"),
            (TallyError::CustomerNotEnrolled, 400, "CUSTOMER_NOT_ENROLLED"),
            (TallyError::RuleInactive(1), 400, "RULE_INACTIVE"),
            (Unauthorized::UnknownKey.into(), 401, "UNAUTHORIZED"),
            (TallyError::NotLoggedIn, 401, "NOT_LOGGED_IN"),
            (TallyError::CustomerExcluded, 403, "CUSTOMER_EXCLUDED"),
            (TallyError::TierRestricted("Gold".into()), 403, "TIER_RESTRICTED"),
            (TallyError::CustomerNotFound(CustomerRef::Id(1)), 404, "CUSTOMER_NOT_FOUND"),
            (TallyError::RuleNotFound(1), 404, "RULE_NOT_FOUND"),
            (TallyError::VariantNotFound(1), 404, "VARIANT_NOT_FOUND"),
            (TallyError::CustomerAlreadyEnrolled(1), 409, "CUSTOMER_ALREADY_ENROLLED"),
            (TallyError::EmailInUse("a@b.co".into()), 409, "EMAIL_IN_USE"),
            (TallyError::RewardNotRefundable { reward_id: 1, why: NotRefundable::Used }, 409, "REWARD_NOT_REFUNDABLE"),
            (TallyError::IdempotencyKeyReused, 422, "IDEMPOTENCY_KEY_REUSED"),
            (TallyError::RequestInProgress, 409, "REQUEST_IN_PROGRESS"),
            (Unavailable::NotIssued("refused".into()).into(), 503, "SHOPIFY_UNAVAILABLE"),
            (TallyError::Busy, 503, "TRY_AGAIN"),
            (TallyError::internal("DynamoDB: throttled"), 503, "SERVICE_UNAVAILABLE"),
        ];
        for (err, expected_status, expected_code) in table {
            let response = error_response(&err);
            assert_eq!(response.status().as_u16(), expected_status, "{err:?}");
            let error = &body(&response)["error"];
            assert_eq!(error["code"], expected_code);
            assert!(!error["message"].as_str().unwrap().is_empty());
        }
    }

    #[test]
    fn no_source_reaches_the_client_and_a_busy_key_says_when_to_retry() {
        let response = error_response(&TallyError::internal("ValidationException: secret table name"));
        assert!(!body(&response).to_string().contains("ValidationException"));
        let in_progress = error_response(&TallyError::RequestInProgress);
        assert_eq!(in_progress.headers()[header::RETRY_AFTER], "1");
        let short = error_response(&TallyError::InsufficientPoints { available: 499, required: 500 });
        assert_eq!(body(&short)["error"]["message"], "Insufficient points");
        assert_eq!(body(&short)["error"]["detail"], "Customer has 499 points available but 500 are required");
    }
}
