//! add-points and remove-points: a balance adjusted by hand, with the reason in the ledger.

use super::idempotency::Attempt;
use super::{loyalty, now, Deps};
use crate::domain::customer::CustomerRef;
use crate::domain::effect::Effect;
use crate::domain::error::{Invalid, TallyError};
use crate::domain::ledger::Direction;
use crate::domain::loyalty::Loyalty;
use crate::domain::points::Points;
use crate::domain::shop::Shop;
use crate::domain::Time;

/// A hand adjustment of a balance.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub customer: CustomerRef,
    pub points: Points,
    pub reason: String,
    pub direction: Direction,
    /// When points added expire (never, when absent).
    pub expires_at: Option<Time>,
}

/// Adds or removes points; a removal never takes the balance below zero (`INSUFFICIENT_POINTS`).
pub async fn adjust(
    deps: &Deps,
    shop: &Shop,
    adjustment: &Adjustment,
    attempt: &Attempt,
) -> Result<Loyalty, TallyError> {
    if let Some(Effect::Balance { customer_id }) = attempt.resume {
        return loyalty::of(deps, shop, customer_id).await;
    }
    let points = adjustment.points.get();
    let delta = if adjustment.direction == Direction::Add { points } else { -points };
    let at = now();
    if adjustment.expires_at.is_some_and(|expires| expires <= at) {
        return Err(Invalid::ExpiresAt.into());
    }
    let (who, expires, reason, claim) =
        (&adjustment.customer, adjustment.expires_at, &adjustment.reason, attempt.claim.as_ref());
    let customer = deps.store.adjust_points(&shop.domain, who, delta, expires, reason, claim, at).await?;
    tracing::info!(customer_id = customer.customer_id, delta, "points adjusted");
    loyalty::of(deps, shop, customer.customer_id).await
}
