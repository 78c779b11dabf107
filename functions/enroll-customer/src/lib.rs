//! `POST /api/external/customers`: enroll a customer in the loyalty program.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::customer::Enrollment;
use tally_shared::domain::effect::Effect;
use tally_shared::domain::parse_json;
use tally_shared::http::{body, loyalty_reply};
use tally_shared::idempotency::write;
use tally_shared::store::Enrolled;
use tally_shared::{Deps, TallyError};

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let req = &req;
    Ok(write(deps, req, |shop, attempt| async move {
        if let Some(Effect::Customer { customer_id }) = attempt.resume {
            return loyalty_reply(deps, &shop, customer_id, 201).await;
        }
        let mut enrollment: Enrollment = parse_json(body(req))?;
        enrollment.check().map_err(TallyError::InvalidRequest)?;
        let (customer, outcome) = deps.store.enroll(&shop.domain, enrollment, attempt.claim.as_ref()).await?;
        tracing::info!(customer_id = customer.customer_id, ?outcome, "customer enrolled");
        // A returning customer keeps the rewards they had.
        loyalty_reply(deps, &shop, customer.customer_id, if outcome == Enrolled::New { 201 } else { 200 }).await
    })
    .await)
}
