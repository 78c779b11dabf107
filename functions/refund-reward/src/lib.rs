//! `POST /api/external/rewards/{id}/refund`: take an unused reward back; its code stops working in Shopify
//! and its points return to the customer.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::{refund, Deps};

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(refund::handle(deps, &req).await)
}
