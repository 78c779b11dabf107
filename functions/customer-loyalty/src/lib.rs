//! `GET /api/external/customer-loyalty?customerId=…` (or `customerEmail=…`): a customer's loyalty information.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::LoyaltyView;
use tally_api::{read, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let who = request::customer(&req)?;
        Reply::json(200, &LoyaltyView::from(loyalty::find(deps, shop, &who).await?))
    })
    .await)
}
