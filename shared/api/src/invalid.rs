//! What can be wrong with a request's shape: each names what to change.

use tally_app::webhooks::Malformed;
use tally_domain::customer::{CustomerRefError, EnrollmentError};
use tally_domain::points::PointsError;
use tally_domain::rule::RuleError;

/// Why a request is not one Tally can act on. Each names what to change.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Invalid {
    #[error("the request needs a JSON body")]
    NoBody,
    /// The JSON parser's own account of where the body goes wrong.
    #[error("the body is not valid: {0}")]
    Body(String),
    #[error("{0}")]
    Customer(#[from] CustomerRefError),
    #[error(transparent)]
    Points(#[from] PointsError),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Enrollment(#[from] EnrollmentError),
    #[error("the portal redeems for the logged-in customer; the body may name no other customer")]
    CustomerInPortalBody,
    #[error("redeemRuleId is required")]
    RuleIdMissing,
    #[error("redeemRuleId must be a positive integer")]
    RuleId,
    #[error("id is assigned by Tally; leave it out of a new rule")]
    RuleIdGiven,
    #[error("the path names rule {path} but the body rule {body}")]
    RuleIdMismatch { path: u64, body: u64 },
    #[error("rewardType is required (or Appstle's type, with the rule in Appstle's fields alone)")]
    RuleType,
    #[error("Tally offers Appstle's DISCOUNT_CODE (with discountType), DYNAMIC_DISCOUNT (FIXED), FREE_SHIPPING, FREE_PRODUCT and STORE_CREDIT rules only")]
    AppstleRuleType,
    #[error("a DYNAMIC_DISCOUNT needs redeemPoints (or pointsCost), discount and requiredMaximumPointsToRedeem")]
    AppstleVariable,
    #[error("Appstle's {field} says otherwise than the rest of the rule: leave it out or make it agree")]
    AppstleDisagrees { field: &'static str },
    #[error("currency must be the shop's, {shop}")]
    Currency { shop: String },
    #[error("customer_external_id must be the customer's Shopify id")]
    YotpoCustomer,
    #[error("name the customer: customer_email, phone_number, pos_account_id or customer_external_id")]
    YotpoCustomerMissing,
    #[error("customer_identifier must be a Shopify customer id or an email address")]
    CustomerIdentifier,
    #[error("page[number] must be 1 or more and page[size] from 1 to 100")]
    MagePage,
    #[error("variantId must be a positive integer")]
    VariantId,
    #[error("discountCode must be 1 to {max} characters")]
    DiscountCode { max: usize },
    #[error("reason must be 1 to {max} characters")]
    Reason { max: usize },
    #[error("give reason or note (Appstle's name for it), not two different ones")]
    ReasonAndNote,
    #[error("reason must be at most {max} characters")]
    RefundReason { max: usize },
    #[error("expiresAt must be an RFC 3339 time in the future, like 2027-06-30T00:00:00Z")]
    ExpiresAt,
    #[error("expiresAt applies to points added, not removed")]
    ExpiresAtOnRemoval,
    #[error("Idempotency-Key must be 1 to 255 printable characters without spaces")]
    IdempotencyKey,
    #[error("the {0} in the path must be a positive integer")]
    PathId(&'static str),
    #[error("{name} {value:?} is not a number")]
    QueryNumber { name: &'static str, value: String },
    #[error("X-Shopify-Event-Id and X-Shopify-Webhook-Id are missing")]
    WebhookId,
    #[error("the cursor is not one Tally gave for this list")]
    Cursor,
    #[error("{name} must be one of {allowed}")]
    QueryWord { name: &'static str, allowed: String },
    #[error("limit must be from 1 to {max}")]
    Limit { max: usize },
    /// A webhook body that does not have the shape of its topic, in the parser's words.
    #[error(transparent)]
    WebhookBody(#[from] Malformed),
}
