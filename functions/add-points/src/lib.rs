//! `POST /api/external/add-points`: give a customer points, with a reason.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::AdjustBody;
use tally_api::views::LoyaltyView;
use tally_api::{request, write_prepared, Reply};
use tally_app::adjust::{adjust_prepared, prepare};
use tally_config::Deps;
use tally_domain::ledger::Direction;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<AdjustBody>(req)?.command(Direction::Add);
    Ok(write_prepared(
        deps,
        &req,
        command,
        async |shop, adjustment| prepare(deps, shop, adjustment).await,
        async |shop, adjustment, prepared, attempt| {
            let loyalty = adjust_prepared(deps, shop, &adjustment, prepared, attempt).await?;
            Reply::json(200, &LoyaltyView::from(loyalty))
        },
    )
    .await)
}
