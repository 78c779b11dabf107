//! `POST /api/external/customers`: enroll a customer in the loyalty program.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::customer::{Enrollment, LoyaltyView};
use tally_shared::domain::parse_json;
use tally_shared::http::{authenticate, body, json_response, respond, Reply};
use tally_shared::store::Enrolled;
use tally_shared::{Deps, TallyError};

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(enroll(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn enroll(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let mut enrollment: Enrollment = parse_json(body(req))?;
    enrollment.check().map_err(TallyError::InvalidRequest)?;
    let (customer, outcome) = deps.store.enroll(&shop.domain, enrollment).await?;
    tracing::info!(
        customer_id = customer.customer_id,
        ?outcome,
        "customer enrolled"
    );
    let status = if outcome == Enrolled::New { 201 } else { 200 };
    // A returning customer keeps the rewards they had.
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, customer.customer_id)
        .await?
        .unwrap_or((customer, vec![]));
    json_response(status, &LoyaltyView::new(customer, rewards, &shop.currency))
}
