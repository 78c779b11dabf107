//! `GET /api/external/customer-loyalty?customerId=…` (or `customerEmail=…`): a customer's loyalty information.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::api::views::LoyaltyView;
use tally_shared::api::{read, request, Reply};
use tally_shared::app::loyalty;
use tally_shared::domain::customer::CustomerRef;
use tally_shared::domain::error::Invalid;
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let id = request::query_number(&req, "customerId")?;
        let who = CustomerRef::from_parts(id, request::query_param(&req, "customerEmail").as_deref())
            .map_err(Invalid::from)?;
        Reply::json(200, &LoyaltyView::from(loyalty::find(deps, shop, &who).await?))
    })
    .await)
}
