//! `POST /api/external/customers`: enroll a customer in the loyalty program.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::EnrollBody;
use tally_api::views::LoyaltyView;
use tally_api::{request, write, Reply};
use tally_app::enroll::enroll;
use tally_config::Deps;
use tally_domain::customer::Enrolled;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<EnrollBody>(req)?.command();
    Ok(write(deps, &req, command, async |shop, enrollment, attempt| {
        let (loyalty, outcome) = enroll(deps, shop, enrollment, attempt).await?;
        // A returning customer keeps the rewards they had.
        Reply::json(if outcome == Enrolled::New { 201 } else { 200 }, &LoyaltyView::from(loyalty))
    })
    .await)
}
