//! `POST /api/external/redeem-points`: turn points into a reward.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::effect::Effect;
use tally_shared::domain::redemption::RedeemRequest;
use tally_shared::http::{body, json_response};
use tally_shared::idempotency::write;
use tally_shared::{redeem, Deps};

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let req = &req;
    Ok(write(deps, req, |shop, attempt| async move {
        let redeemed = match attempt.resume {
            Some(Effect::Reward { customer_id, reward_id }) => {
                redeem::resume(deps, &shop, customer_id, reward_id).await?
            }
            _ => redeem::redeem(deps, &shop, &RedeemRequest::parse(body(req))?, attempt.claim.as_ref()).await?,
        };
        // A reward Shopify has not confirmed yet is accepted, not done.
        json_response(if redeemed.reward.is_pending() { 202 } else { 200 }, &redeemed)
    })
    .await)
}
