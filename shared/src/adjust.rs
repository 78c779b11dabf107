//! add-points and remove-points: a balance adjusted by hand, with the reason in the ledger.

use lambda_http::{Body, Request, Response};

use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::Adjustment;
use crate::domain::parse_json;
use crate::domain::points::Points;
use crate::domain::redemption::CustomerRef;
use crate::http::{body, loyalty_reply};
use crate::idempotency::write;
use crate::Deps;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

/// Adds or removes points; a removal never takes the balance below zero (`INSUFFICIENT_POINTS`).
pub async fn adjust(deps: &Deps, req: &Request, direction: Direction) -> Response<Body> {
    write(deps, req, |shop, attempt| async move {
        if let Some(Effect::Balance { customer_id }) = attempt.resume {
            return loyalty_reply(deps, &shop, customer_id, 200).await;
        }
        let adjustment: Adjustment = parse_json(body(req))?;
        let who = CustomerRef::from_parts(adjustment.customer_id, adjustment.customer_email.as_deref())?;
        let points = Points::from_json(&adjustment.points).map_err(TallyError::InvalidRequest)?.0;
        let reason = adjustment.reason.trim();
        if reason.is_empty() || reason.len() > 500 {
            return Err(TallyError::invalid("reason must be 1 to 500 characters"));
        }
        let delta = if direction == Direction::Add { points } else { -points };
        let customer = deps.store.adjust_points(&shop.domain, &who, delta, reason, attempt.claim.as_ref()).await?;
        tracing::info!(customer_id = customer.customer_id, delta, "points adjusted");
        loyalty_reply(deps, &shop, customer.customer_id, 200).await
    })
    .await
}
