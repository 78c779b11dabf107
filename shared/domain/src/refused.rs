//! Why the domain refuses a change to a customer's points.

use super::ids::{RuleId, VariantId};
use super::points::MAX_SAFE_INTEGER;
use super::rule::PointsOutOfRange;

/// Why the domain refuses a change to a customer's points.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("Customer has {available} points available but {required} are required")]
    InsufficientPoints { available: i64, required: i64 },
    #[error("This reward needs the variantId of the product to give")]
    VariantRequired,
    #[error("variant {variant} is not one this reward offers; choose one of {offered:?}")]
    VariantNotOffered { variant: VariantId, offered: Vec<VariantId> },
    /// Points a variable rule does not sell (or none).
    #[error(transparent)]
    InvalidPoints(#[from] PointsOutOfRange),
    #[error("this reward costs {cost} points, not {points}")]
    PointsNotTheCost { cost: i64, points: i64 },
    #[error("store credit is delivered at once; delayPointsDeduction does not apply")]
    DelayedStoreCredit,
    #[error("The customer is not enrolled in the loyalty program")]
    NotEnrolled,
    #[error("The customer is excluded from the loyalty program")]
    Excluded,
    #[error("Redemption rule {0} is not active")]
    RuleInactive(RuleId),
    #[error("This reward is reserved for VIP tier {0}")]
    TierRestricted(String),
    #[error("the balance would pass {MAX_SAFE_INTEGER}, the largest number of points Tally keeps")]
    BalanceTooLarge,
    #[error("expiresAt must be an RFC 3339 time in the future, like 2027-06-30T00:00:00Z")]
    ExpiryPassed,
}
