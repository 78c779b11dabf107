//! `POST /api/external/redeem-points`: turn points into a reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RedeemBody;
use tally_api::views::RedeemedView;
use tally_api::{request, write, Reply};
use tally_app::redeem::redeem;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<RedeemBody>(req)?.command();
    Ok(write(deps, &req, command, async |shop, command, attempt| {
        let redeemed = redeem(deps, shop, &command, attempt).await?;
        // A reward Shopify has not confirmed yet is accepted, not done.
        let status = if redeemed.reward.is_pending() { 202 } else { 200 };
        Reply::json(status, &RedeemedView::from(redeemed))
    })
    .await)
}
