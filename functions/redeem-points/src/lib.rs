//! `POST /api/external/redeem-points`: turn points into a reward.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::redemption::RedeemRequest;
use tally_shared::http::{authenticate, body, json_response, respond, Reply};
use tally_shared::{redeem, Deps};

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(redeem_points(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn redeem_points(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let request = RedeemRequest::parse(body(req))?;
    let redeemed = redeem::redeem(deps, &shop, &request).await?;
    // A reward Shopify has not confirmed yet is accepted, not done.
    let status = if redeemed.reward.is_pending() {
        202
    } else {
        200
    };
    json_response(status, &redeemed)
}
