//! `GET /v1/customers/{identifier}`, Mage's customer: found by Shopify customer id or email.

use lambda_http::{Body, Error, Request, Response};
use serde_json::Value;
use tally_api::request::Invalid;
use tally_api::{mage, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(mage::read(deps, &req, async |shop| {
        let given: String = request::path_id(&req, "identifier")?;
        let who = mage::identifier(&Value::String(given)).ok_or(Invalid::CustomerIdentifier)?;
        Reply::json(200, &mage::customer(&loyalty::find(deps, shop, &who).await?))
    })
    .await)
}
