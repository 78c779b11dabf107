//! `POST /api/v2/redemptions`, Yotpo's "Create Redemption": the customer (`customer_email`, `phone_number`,
//! `pos_account_id` or `customer_external_id`) redeems `redemption_option_id`, with Yotpo's `points`,
//! `delay_points_deduction` and `currency`; the code comes back in `reward_text`.

use lambda_http::{Body, Error, Request, Response};
use tally_api::{redemption, yotpo};
use tally_app::redeem::{prepare, redeem_prepared};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(yotpo::redeem(
        deps,
        &req,
        async |shop, command| prepare(deps, shop, command).await,
        async |shop, command, prepared, attempt| {
            redemption::reply(redeem_prepared(deps, shop, &command, prepared, attempt, Some(redemption::render)).await)
        },
    )
    .await)
}
