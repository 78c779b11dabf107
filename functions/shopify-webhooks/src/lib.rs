//! `POST /webhooks/shopify`: Shopify's order and customer webhooks, HMAC-verified.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::{webhooks, Deps};

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(webhooks::handle(deps, &req).await)
}
