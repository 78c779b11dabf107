//! `GET /api/v2/customer_details`, Yotpo's customer record: by `customer_email`, `phone_number`,
//! `pos_account_id` or `customer_external_id`.

use lambda_http::{Body, Error, Request, Response};
use tally_api::request::Invalid;
use tally_api::{yotpo, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(yotpo::read(deps, &req, async |shop| {
        let who = yotpo::customer_in_query(&req)?.ok_or(Invalid::YotpoCustomerMissing)?;
        Reply::json(200, &yotpo::customer_details(&loyalty::find(deps, shop, &who).await?))
    })
    .await)
}
