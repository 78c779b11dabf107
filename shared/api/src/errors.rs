//! The one map from every outcome a client can be told about to HTTP: its status, its stable code, and
//! Appstle's message where Appstle names one. Each use case has its own error; each converts here, and
//! nowhere else, into a `Problem`, which goes out as `{"error": {code, message, detail}}`. The detail is
//! Tally's own words about the request: never an SDK's, reqwest's or Shopify's.

use std::borrow::Cow;

use lambda_http::http::{header, HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::json;
use tally_app::discounts::DiscountError;
use tally_app::enroll::EnrollError;
use tally_app::error::{ChangeError, ReadError, Unavailable};
use tally_app::idempotency::KeyError;
use tally_app::redeem::RedeemError;
use tally_app::refund::RefundError;
use tally_app::rules::RulesError;
use tally_app::webhooks::WebhookError;
use tally_domain::customer::EnrollRefused;
use tally_domain::error::{Missing, Refused};
use tally_domain::rule::VariableCost;

use crate::request::Invalid;

/// `Retry-After` on `409 REQUEST_IN_PROGRESS`. A live first request answers well within it; one whose
/// Lambda died frees its key when its lock expires, and the retries that come before get 409 again.
const RETRY_IN_PROGRESS_SECONDS: u64 = 1;

/// An outcome as a client reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub status: u16,
    pub code: &'static str,
    pub message: Cow<'static, str>,
    pub detail: String,
}

impl Problem {
    fn new(status: u16, code: &'static str, message: &'static str, detail: impl ToString) -> Problem {
        Problem { status, code, message: message.into(), detail: detail.to_string() }
    }

    /// Whether the answer says "try again": nothing was settled, so it is not kept for a retry.
    pub fn is_transient(&self) -> bool {
        matches!(self.code, "SERVICE_UNAVAILABLE" | "TRY_AGAIN" | "REQUEST_IN_PROGRESS" | "SHOP_UNINSTALLED")
    }

    /// A body larger than `request::MAX_BODY`, refused before anything reads it.
    pub fn too_large() -> Problem {
        let detail = format!("The body is larger than {} bytes", crate::request::MAX_BODY);
        Problem::new(413, "BODY_TOO_LARGE", "Body too large", detail)
    }

    /// A portal write whose body is not declared JSON: what a cross-site form sends.
    pub fn not_json() -> Problem {
        let detail = "Send the body as JSON, with Content-Type: application/json";
        Problem::new(415, "UNSUPPORTED_MEDIA_TYPE", "Unsupported media type", detail)
    }

    pub fn uninstalled() -> Problem {
        let detail = "The Tally app was uninstalled from this shop; connect it again to make changes";
        Problem::new(403, "SHOP_UNINSTALLED", "Shop uninstalled", detail)
    }

    pub fn not_logged_in() -> Problem {
        let detail = "Nobody is logged in (a guest); the customer must log in to see or redeem points";
        Problem::new(401, "NOT_LOGGED_IN", "Not logged in", detail)
    }

    /// The response, logged at the level it deserves.
    pub fn response(&self) -> Response<Body> {
        match self.status {
            500.. => tracing::warn!(code = self.code, detail = %self.detail, "request not completed"),
            _ => tracing::info!(code = self.code, detail = %self.detail, "request refused"),
        }
        let body = json!({"error": {"code": self.code, "message": self.message, "detail": self.detail}});
        let mut response = Response::new(Body::Text(body.to_string()));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if self.code == "REQUEST_IN_PROGRESS" {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(RETRY_IN_PROGRESS_SECONDS));
        }
        response
    }
}

/// A caller Tally does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    #[error("the X-API-Key header is missing")]
    MissingKey,
    #[error("the Authorization header, with the API key, is missing")]
    MissingAuthorization,
    #[error("the x-api-key header (or the api_key query parameter) is missing")]
    MissingYotpoKey,
    #[error("the API key is not valid")]
    UnknownKey,
    #[error("the webhook's signature is missing or wrong")]
    BadWebhookSignature,
    /// Whatever was wrong (signature, timestamp, shop), the caller is told only this.
    #[error("the App Proxy signature is missing or not valid")]
    BadProxySignature,
    #[error("the customer portal is reached through the shop's App Proxy; API keys are not accepted here")]
    KeyOnPortal,
    /// Whatever was wrong (signature, audience, shop, time), the caller is told only this.
    #[error("the Authorization header, with a Shopify session token, is missing or not valid")]
    BadSessionToken,
    #[error(
        "the extension routes take a Shopify session token; API keys and App Proxy signatures are not accepted here"
    )]
    NotASessionToken,
}

impl From<Unauthorized> for Problem {
    fn from(e: Unauthorized) -> Self {
        Problem::new(401, "UNAUTHORIZED", "Unauthorized", e)
    }
}

impl From<Invalid> for Problem {
    fn from(e: Invalid) -> Self {
        Problem::new(400, "INVALID_REQUEST", "Invalid request", e)
    }
}

impl From<Refused> for Problem {
    fn from(e: Refused) -> Self {
        use Refused::*;
        let (status, code, message) = match &e {
            InvalidPoints(range) => {
                let VariableCost { points_step, min_points, max_points, .. } = range.cost;
                let message = format!("Points must be a multiple of {points_step} from {min_points} to {max_points}");
                return Problem { status: 400, code: "INVALID_POINTS", message: message.into(), detail: e.to_string() };
            }
            InsufficientPoints { .. } => (400, "INSUFFICIENT_POINTS", "Insufficient points"),
            VariantRequired => (400, "VARIANT_REQUIRED", "Variant ID required"),
            NotEnrolled => (400, "CUSTOMER_NOT_ENROLLED", "Customer not enrolled"),
            RuleInactive(_) => (400, "RULE_INACTIVE", "Redemption rule is not active"),
            Excluded => (403, "CUSTOMER_EXCLUDED", "Customer excluded"),
            TierRestricted(_) => (403, "TIER_RESTRICTED", "Reward restricted to another VIP tier"),
            VariantNotOffered { .. }
            | PointsNotTheCost { .. }
            | DelayedStoreCredit
            | BalanceTooLarge
            | ExpiryPassed => (400, "INVALID_REQUEST", "Invalid request"),
        };
        Problem::new(status, code, message, e)
    }
}

impl From<Missing> for Problem {
    fn from(e: Missing) -> Self {
        let (code, message) = match &e {
            Missing::Customer(_) => ("CUSTOMER_NOT_FOUND", "Customer not found"),
            Missing::Rule(_) | Missing::RuleAlias(_) => ("RULE_NOT_FOUND", "Redemption rule not found"),
            Missing::Reward(_) => ("REWARD_NOT_FOUND", "Reward not found"),
            Missing::Variant(_) => ("VARIANT_NOT_FOUND", "Variant not found"),
            Missing::Shop(_) => ("NOT_FOUND", "Not found"),
        };
        Problem::new(404, code, message, e)
    }
}

impl From<Unavailable> for Problem {
    fn from(e: Unavailable) -> Self {
        match e {
            Unavailable::Store(source) => {
                tracing::error!(error = %source, "request failed");
                let detail = "Tally could not complete the request. Try again later.";
                Problem::new(503, "SERVICE_UNAVAILABLE", "Service temporarily unavailable", detail)
            }
            Unavailable::Busy => Problem::new(503, "TRY_AGAIN", "Try again", e),
            Unavailable::Shopify(_) => {
                let detail = "Shopify could not be asked what the request needed; try again";
                Problem::new(
                    503,
                    "SHOPIFY_UNAVAILABLE",
                    "Shopify could not create the reward; no points were taken",
                    detail,
                )
            }
            Unavailable::InProgress => Problem::from(KeyError::InProgress),
        }
    }
}

impl From<DiscountError> for Problem {
    fn from(e: DiscountError) -> Self {
        match e {
            DiscountError::UnknownCode(_) => Problem::new(404, "DISCOUNT_CODE_NOT_FOUND", "Discount code not found", e),
            DiscountError::NotUsable(_) => {
                Problem::new(409, "DISCOUNT_CODE_NOT_USABLE", "Discount code cannot be used", e)
            }
            DiscountError::NotApplicable { .. } => {
                Problem::new(409, "STATUS_NOT_APPLICABLE", "The reward cannot take that status", e)
            }
            DiscountError::Unsupported => Problem::new(400, "INVALID_REQUEST", "Invalid request", e),
            DiscountError::Refund(e) => e.into(),
            DiscountError::Unavailable(e) => e.into(),
        }
    }
}

impl From<KeyError> for Problem {
    fn from(e: KeyError) -> Self {
        match e {
            KeyError::Reused => Problem::new(422, "IDEMPOTENCY_KEY_REUSED", "Idempotency key reused", e),
            KeyError::InProgress => Problem::new(409, "REQUEST_IN_PROGRESS", "Request in progress", e),
            KeyError::Unavailable(e) => e.into(),
        }
    }
}

impl From<ReadError> for Problem {
    fn from(e: ReadError) -> Self {
        match e {
            ReadError::Missing(e) => e.into(),
            ReadError::ForeignCursor => Invalid::Cursor.into(),
            ReadError::Unavailable(e) => e.into(),
        }
    }
}

impl From<ChangeError> for Problem {
    fn from(e: ChangeError) -> Self {
        match e {
            ChangeError::Missing(e) => e.into(),
            ChangeError::Refused(e) => e.into(),
            ChangeError::Unavailable(e) => e.into(),
        }
    }
}

impl From<RedeemError> for Problem {
    fn from(e: RedeemError) -> Self {
        match e {
            RedeemError::Refused(e) => e.into(),
            RedeemError::Missing(e) => e.into(),
            RedeemError::NotIssued(reason) => Problem::new(
                503,
                "SHOPIFY_UNAVAILABLE",
                "Shopify could not create the reward; no points were taken",
                format!("Shopify did not create the reward ({reason}); its points were given back"),
            ),
            RedeemError::Unavailable(e) => e.into(),
        }
    }
}

impl From<RefundError> for Problem {
    fn from(e: RefundError) -> Self {
        match e {
            RefundError::Missing(e) => e.into(),
            RefundError::NotRefundable { .. } => {
                Problem::new(409, "REWARD_NOT_REFUNDABLE", "Reward cannot be refunded", e)
            }
            RefundError::NotReverted(_) => {
                Problem::new(503, "SHOPIFY_UNAVAILABLE", "Shopify could not remove the code; nothing was changed", e)
            }
            RefundError::Unavailable(e) => e.into(),
        }
    }
}

impl From<EnrollRefused> for Problem {
    fn from(e: EnrollRefused) -> Self {
        let (status, code, message) = match &e {
            EnrollRefused::AlreadyEnrolled(_) => (409, "CUSTOMER_ALREADY_ENROLLED", "Customer already enrolled"),
            EnrollRefused::Excluded => (403, "CUSTOMER_EXCLUDED", "Customer excluded"),
            EnrollRefused::EmailInUse(_) => (409, "EMAIL_IN_USE", "Email already in use"),
            EnrollRefused::PhoneInUse(_) => (409, "PHONE_IN_USE", "Phone already in use"),
            EnrollRefused::ExternalIdInUse(_) => (409, "EXTERNAL_ID_IN_USE", "External id already in use"),
        };
        Problem::new(status, code, message, e)
    }
}

impl From<EnrollError> for Problem {
    fn from(e: EnrollError) -> Self {
        match e {
            EnrollError::Refused(e) => e.into(),
            EnrollError::Unavailable(e) => e.into(),
        }
    }
}

impl From<RulesError> for Problem {
    fn from(e: RulesError) -> Self {
        match e {
            RulesError::Invalid(e) => Invalid::Rule(e).into(),
            RulesError::Missing(e) => e.into(),
            RulesError::Unavailable(e) => e.into(),
        }
    }
}

impl From<WebhookError> for Problem {
    fn from(e: WebhookError) -> Self {
        match e {
            WebhookError::Malformed(e) => Invalid::WebhookBody(e).into(),
            WebhookError::Unavailable(e) => e.into(),
        }
    }
}

/// The code a redemption would be refused with, for the portal's options.
pub fn code_of(refused: &Refused) -> &'static str {
    Problem::from(refused.clone()).code
}

#[cfg(test)]
mod tests;
