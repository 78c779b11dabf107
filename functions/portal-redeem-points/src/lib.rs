//! `POST /loyalty/cp/api/redeem-points`, through the App Proxy: the logged-in customer turns points into a
//! reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RedeemBody;
use tally_api::views::RedeemedView;
use tally_api::{portal, request, Reply};
use tally_app::redeem::redeem;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let body = |req: &Request| request::json::<RedeemBody>(req);
    Ok(portal::write(deps, &req, body, async |shopper, body, attempt| {
        let command = body.command_for(shopper.customer_id)?;
        let redeemed = redeem(deps, &shopper.shop, &command, attempt).await?;
        // A reward Shopify has not confirmed yet is accepted, not done.
        let status = if redeemed.reward.is_pending() { 202 } else { 200 };
        Reply::json(status, &RedeemedView::from(redeemed))
    })
    .await)
}
