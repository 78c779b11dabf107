//! What the domain refuses, and what a request names that does not exist. Each use case has its own
//! error, made of these and the app's own; what each becomes over HTTP is decided in one place, the API's
//! error map. Nothing here carries another system's text.

pub use super::refused::Refused;

use super::customer::CustomerRef;
use super::ids::{RewardId, RuleId, VariantId};
use super::shop::ShopDomain;

/// Something a request names that the shop does not have.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Missing {
    #[error("No customer matches {0}")]
    Customer(CustomerRef),
    #[error("No redemption rule has id {0}")]
    Rule(RuleId),
    /// Named by the id another program gave it (an import's alias).
    #[error("No redemption rule has id {0}")]
    RuleAlias(crate::rule::RuleAlias),
    #[error("No reward has id {0} for this customer")]
    Reward(RewardId),
    #[error("Variant {0} does not exist in the shop")]
    Variant(VariantId),
    #[error("No shop {0} is connected to Tally")]
    Shop(ShopDomain),
}
