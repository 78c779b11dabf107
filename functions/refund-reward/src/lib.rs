//! `POST /api/external/rewards/{id}/refund`: take an unused reward back; its code stops working in Shopify
//! and its points return to the customer.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RefundBody;
use tally_api::views::RedeemedView;
use tally_api::{request, write_prepared, Reply};
use tally_app::refund::{prepare, refund_prepared};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<RefundBody>(req)?.command(request::path_id(req, "id")?);
    Ok(write_prepared(
        deps,
        &req,
        command,
        async |shop, command| prepare(deps, shop, command).await,
        async |shop, command, prepared, attempt| {
            let refunded = refund_prepared(deps, shop, &command, prepared, attempt).await?;
            Reply::json(200, &RedeemedView::from(refunded))
        },
    )
    .await)
}
