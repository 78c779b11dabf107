//! add-points and remove-points: a balance adjusted by hand, with the reason in the ledger.

use lambda_http::Request;

use crate::domain::customer::LoyaltyView;
use crate::domain::error::TallyError;
use crate::domain::ledger::Adjustment;
use crate::domain::parse_json;
use crate::domain::points::Points;
use crate::domain::redemption::CustomerRef;
use crate::http::{authenticate, body, json_response, Reply};
use crate::Deps;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Add,
    Remove,
}

/// Adds or removes points; a removal never takes the balance below zero (`INSUFFICIENT_POINTS`).
pub async fn adjust(deps: &Deps, req: &Request, direction: Direction) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let adjustment: Adjustment = parse_json(body(req))?;
    let who =
        CustomerRef::from_parts(adjustment.customer_id, adjustment.customer_email.as_deref())?;
    let points = Points::from_json(&adjustment.points)
        .map_err(TallyError::InvalidRequest)?
        .0;
    let reason = adjustment.reason.trim();
    if reason.is_empty() || reason.len() > 500 {
        return Err(TallyError::invalid("reason must be 1 to 500 characters"));
    }
    let delta = if direction == Direction::Add {
        points
    } else {
        -points
    };
    let customer = deps
        .store
        .adjust_points(&shop.domain, &who, delta, reason)
        .await?;
    tracing::info!(customer_id = customer.customer_id, delta, "points adjusted");
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, customer.customer_id)
        .await?
        .unwrap_or((customer, vec![]));
    json_response(200, &LoyaltyView::new(customer, rewards, &shop.currency))
}
