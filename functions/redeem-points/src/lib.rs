//! `POST /api/external/redeem-points`: turn points into a reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RedeemBody;
use tally_api::{redemption, request, write_prepared};
use tally_app::redeem::{prepare, redeem_prepared};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<RedeemBody>(req)?.command();
    Ok(write_prepared(
        deps,
        &req,
        command,
        async |shop, command| prepare(deps, shop, command).await,
        async |shop, command, prepared, attempt| {
            redemption::reply(redeem_prepared(deps, shop, &command, prepared, attempt, Some(redemption::render)).await)
        },
    )
    .await)
}
