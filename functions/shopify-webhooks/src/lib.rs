//! `POST /webhooks/shopify`: Shopify's order and customer webhooks, HMAC-verified.

use lambda_http::{Body, Error, Request, Response};
use tally_api::webhooks::receive;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(receive(deps, &req).await)
}
