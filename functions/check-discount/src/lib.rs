//! `PUT /api/external/check-discount` (Appstle's): whether the customer's code can be used now; answered
//! with its reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::discounts::{CheckBody, CheckedView};
use tally_api::{read, request, Reply};
use tally_app::discounts::check;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let (customer, code) = request::json::<CheckBody>(&req)?.command()?;
        Reply::json(200, &CheckedView::from(check(deps, shop, customer, &code).await?))
    })
    .await)
}
