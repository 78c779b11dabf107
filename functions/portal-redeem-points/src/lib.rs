//! `POST /loyalty/cp/api/redeem-points`, through the App Proxy: the logged-in customer turns points into a
//! reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RedeemBody;
use tally_api::{portal, redemption, request};
use tally_app::redeem::{prepare, redeem_prepared};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let body = |req: &Request| request::json::<RedeemBody>(req);
    Ok(portal::write(
        deps,
        &req,
        body,
        // The command is the body's for the logged-in customer, whom the body may not name.
        async |shopper, body| {
            let command = body.clone().command_for(shopper.customer_id)?;
            let prepared = prepare(deps, &shopper.shop, &command).await;
            Ok::<_, tally_api::request::Invalid>((command, prepared))
        },
        async |shopper, _, prepared, attempt| {
            let (command, prepared) = prepared?;
            redemption::reply(
                redeem_prepared(deps, &shopper.shop, &command, prepared, attempt, Some(redemption::render)).await,
            )
        },
    )
    .await)
}
