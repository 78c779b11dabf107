//! `POST /v1/rewards/{id}/purchase`, Mage's "Purchase a reward": `{"customer_identifier": …}` (a Shopify
//! customer id or an email) redeems rule `id`, answered `201` with Mage's `reward_history_entry`.

use lambda_http::{Body, Error, Request, Response};
use tally_api::{mage, redemption};
use tally_app::redeem::{prepare, redeem_prepared};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(mage::purchase(
        deps,
        &req,
        async |shop, command| prepare(deps, shop, command).await,
        async |shop, command, prepared, attempt| {
            redemption::reply(redeem_prepared(deps, shop, &command, prepared, attempt, Some(redemption::render)).await)
        },
    )
    .await)
}
