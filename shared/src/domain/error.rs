//! Every outcome a caller can be told about. What each becomes over HTTP is decided in one place,
//! `api::errors`; here they are only what happened.

use std::error::Error as StdError;

use super::customer::{CustomerRef, CustomerRefError, EnrollmentError};
use super::points::PointsError;
use super::reward::NotRefundable;
use super::rule::{PointsOutOfRange, RuleError, RulePriceError};

pub type Source = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error(transparent)]
    InvalidRequest(#[from] Invalid),
    #[error("Customer has {available} points available but {required} are required")]
    InsufficientPoints { available: i64, required: i64 },
    #[error("This reward needs the variantId of the product to give")]
    VariantRequired,
    #[error("Variant {0} does not exist in the shop")]
    VariantNotFound(u64),
    /// Points a variable rule does not sell.
    #[error(transparent)]
    InvalidPoints(#[from] PointsOutOfRange),
    #[error("The customer is not enrolled in the loyalty program")]
    CustomerNotEnrolled,
    #[error("Redemption rule {0} is not active")]
    RuleInactive(u64),
    #[error(transparent)]
    Unauthorized(#[from] Unauthorized),
    #[error("The customer is excluded from the loyalty program")]
    CustomerExcluded,
    #[error("This reward is reserved for VIP tier {0}")]
    TierRestricted(String),
    #[error("No customer matches {0}")]
    CustomerNotFound(CustomerRef),
    #[error("No redemption rule has id {0}")]
    RuleNotFound(u64),
    #[error("Customer {0} is already enrolled")]
    CustomerAlreadyEnrolled(u64),
    #[error("The email {0} belongs to another customer")]
    EmailInUse(String),
    #[error("The phone number {0} belongs to another customer")]
    PhoneInUse(String),
    #[error("The external id {0} belongs to another customer")]
    ExternalIdInUse(String),
    #[error("No reward has id {0} for this customer")]
    RewardNotFound(u64),
    #[error("Reward {reward_id} cannot be refunded: {why}")]
    RewardNotRefundable { reward_id: u64, why: NotRefundable },
    /// Shopify did not issue a reward, or could not be asked to; its points are back.
    #[error(transparent)]
    ShopifyUnavailable(#[from] Unavailable),
    /// Shopify could not take a code back; nothing was changed.
    #[error("Shopify could not deactivate the code ({0}); try again")]
    ShopifyNotReverted(#[source] Source),
    #[error("The customer's balance is changing too fast; try again")]
    Busy,
    #[error("No shop {0} is connected to Tally")]
    ShopNotFound(String),
    #[error("Shop {0} exists already")]
    ShopExists(String),
    #[error("The Tally app was uninstalled from this shop; connect it again to make changes")]
    ShopUninstalled,
    #[error("Nobody is logged in to the storefront; the customer must log in to see or redeem points")]
    NotLoggedIn,
    #[error("Shopify did not accept the shop's app credentials ({0})")]
    BadCredentials(#[source] Source),
    #[error("This API key opens another shop; choose another key")]
    KeyInUse,
    #[error("This Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("A request with this Idempotency-Key is still running; retry shortly")]
    RequestInProgress,
    #[error("internal error")]
    Internal(#[source] Source),
}

/// Why a request is not one Tally can act on. Each names what to change.
#[derive(Debug, thiserror::Error)]
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
    #[error("the portal redeems for the logged-in customer; the body must not name a customer")]
    CustomerInPortalBody,
    #[error("redeemRuleId is required")]
    RuleIdMissing,
    #[error("id is assigned by Tally; leave it out of a new rule")]
    RuleIdGiven,
    #[error("the path names rule {path} but the body rule {body}")]
    RuleIdMismatch { path: u64, body: u64 },
    #[error("reason must be 1 to {max} characters")]
    Reason { max: usize },
    #[error("reason must be at most {max} characters")]
    RefundReason { max: usize },
    #[error("variant {variant} is not one this reward offers; choose one of {offered:?}")]
    VariantNotOffered { variant: u64, offered: Vec<u64> },
    #[error("store credit is delivered at once; delayPointsDeduction does not apply")]
    DelayedStoreCredit,
    #[error("this reward costs {cost} points, not {points}")]
    PointsNotTheCost { cost: i64, points: i64 },
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
    #[error("the balance would pass {}, the largest number of points Tally keeps", super::customer::MAX_SAFE_INTEGER)]
    BalanceTooLarge,
    /// A webhook body that does not have the shape of its topic, in the parser's words.
    #[error("the {topic} body: {reason}")]
    WebhookBody { topic: String, reason: String },
}

/// A caller Tally does not know.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unauthorized {
    #[error("the X-API-Key header is missing")]
    MissingKey,
    #[error("the API key is not valid")]
    UnknownKey,
    #[error("the webhook's signature is missing or wrong")]
    BadWebhookSignature,
    #[error("unknown shop")]
    UnknownShop,
    /// Whatever was wrong (signature, timestamp, shop), the caller is told only this.
    #[error("the App Proxy signature is missing or not valid")]
    BadProxySignature,
    #[error("the customer portal is reached through the shop's App Proxy; API keys are not accepted here")]
    KeyOnPortal,
}

/// Shopify's part of a redemption did not happen; the points were given back.
#[derive(Debug, thiserror::Error)]
pub enum Unavailable {
    #[error("could not read the variant's price ({0})")]
    VariantPrice(#[source] Source),
    /// The reason recorded on the reward when it failed.
    #[error("Shopify did not create the reward ({0})")]
    NotIssued(String),
    /// Shopify could not be asked what Tally needed to know.
    #[error("Shopify could not be asked ({0})")]
    Asked(#[source] Source),
}

impl TallyError {
    pub fn internal(e: impl Into<Source>) -> Self {
        TallyError::Internal(e.into())
    }

    /// Whether the outcome says "try again": nothing was settled, so a retry must be able to run.
    pub fn is_transient(&self) -> bool {
        matches!(self, TallyError::Internal(_) | TallyError::Busy | TallyError::RequestInProgress)
    }
}

impl From<RulePriceError> for TallyError {
    fn from(err: RulePriceError) -> Self {
        match err {
            RulePriceError::OutOfRange(range) => TallyError::InvalidPoints(range),
            RulePriceError::NotTheCost { cost, points } => Invalid::PointsNotTheCost { cost, points }.into(),
        }
    }
}
