//! Every outcome a client can be told about, with its HTTP status and stable code.

use std::error::Error as StdError;

type Source = Box<dyn StdError + Send + Sync + 'static>;

#[derive(Debug, thiserror::Error)]
pub enum TallyError {
    #[error("{0}")]
    InvalidRequest(String),
    #[error("Customer has {available} points available but {required} are required")]
    InsufficientPoints { available: i64, required: i64 },
    #[error("This reward needs the variantId of the product to give")]
    VariantRequired,
    #[error("Variant {0} does not exist in the shop")]
    VariantNotFound(u64),
    #[error("The customer is not enrolled in the loyalty program")]
    CustomerNotEnrolled,
    #[error("Redemption rule {0} is not active")]
    RuleInactive(u64),
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("The customer is excluded from the loyalty program")]
    CustomerExcluded,
    #[error("This reward is reserved for VIP tier {0}")]
    TierRestricted(String),
    #[error("No customer matches {0}")]
    CustomerNotFound(String),
    #[error("No redemption rule has id {0}")]
    RuleNotFound(u64),
    #[error("Customer {0} is already enrolled")]
    CustomerAlreadyEnrolled(u64),
    #[error("The email {0} belongs to another customer")]
    EmailInUse(String),
    #[error("No reward has id {0} for this customer")]
    RewardNotFound(u64),
    #[error("{0}")]
    RewardNotRefundable(String),
    #[error("{0}")]
    ShopifyUnavailable(String),
    /// Shopify could not take a code back; nothing was changed.
    #[error("{0}")]
    ShopifyNotReverted(String),
    #[error("The customer's balance is changing too fast; try again")]
    Busy,
    #[error("{0}")]
    NotFound(&'static str),
    #[error("This Idempotency-Key was used for a different request")]
    IdempotencyKeyReused,
    #[error("A request with this Idempotency-Key is still running; retry shortly")]
    RequestInProgress,
    #[error("internal error")]
    Internal(#[source] Source),
}

impl TallyError {
    pub fn internal(e: impl Into<Source>) -> Self {
        TallyError::Internal(e.into())
    }

    pub fn invalid(detail: impl Into<String>) -> Self {
        TallyError::InvalidRequest(detail.into())
    }

    pub fn status(&self) -> u16 {
        use TallyError::*;
        match self {
            InvalidRequest(_) | InsufficientPoints { .. } | VariantRequired | CustomerNotEnrolled | RuleInactive(_) => {
                400
            }
            Unauthorized(_) => 401,
            CustomerExcluded | TierRestricted(_) => 403,
            CustomerNotFound(_) | RuleNotFound(_) | VariantNotFound(_) | RewardNotFound(_) | NotFound(_) => 404,
            CustomerAlreadyEnrolled(_) | EmailInUse(_) | RewardNotRefundable(_) | RequestInProgress => 409,
            IdempotencyKeyReused => 422,
            ShopifyUnavailable(_) | ShopifyNotReverted(_) | Busy | Internal(_) => 503,
        }
    }

    /// The stable machine-readable code clients branch on.
    pub fn code(&self) -> &'static str {
        use TallyError::*;
        match self {
            InvalidRequest(_) => "INVALID_REQUEST",
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
            RewardNotFound(_) => "REWARD_NOT_FOUND",
            RewardNotRefundable(_) => "REWARD_NOT_REFUNDABLE",
            ShopifyUnavailable(_) | ShopifyNotReverted(_) => "SHOPIFY_UNAVAILABLE",
            Busy => "TRY_AGAIN",
            NotFound(_) => "NOT_FOUND",
            IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            RequestInProgress => "REQUEST_IN_PROGRESS",
            Internal(_) => "SERVICE_UNAVAILABLE",
        }
    }

    /// The short human message; Appstle's wording where its documentation names one.
    pub fn message(&self) -> &'static str {
        use TallyError::*;
        match self {
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
            RewardNotFound(_) => "Reward not found",
            RewardNotRefundable(_) => "Reward cannot be refunded",
            ShopifyUnavailable(_) => "Shopify could not create the reward; no points were taken",
            ShopifyNotReverted(_) => "Shopify could not remove the code; nothing was changed",
            Busy => "Try again",
            NotFound(_) => "Not found",
            IdempotencyKeyReused => "Idempotency key reused",
            RequestInProgress => "Request in progress",
            Internal(_) => "Service temporarily unavailable",
        }
    }

    /// The detail shown to the client: never an SDK message or a source error.
    pub fn detail(&self) -> String {
        match self {
            TallyError::Internal(_) => "Tally could not complete the request. Try again later.".into(),
            other => other.to_string(),
        }
    }
}
