//! `PUT /api/external/update-discount` (Appstle's): the status a headless checkout or an operator sets on
//! the customer's code; answered with its reward.

use lambda_http::{Body, Error, Request, Response};
use tally_api::discounts::StatusBody;
use tally_api::views::RewardView;
use tally_api::{request, write, Reply};
use tally_app::discounts::set_status;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<StatusBody>(req)?.command(true);
    Ok(write(deps, &req, command, async |shop, (of, status), attempt| {
        let reward = set_status(deps, shop, of.customer, &of.code, status, attempt).await?;
        Reply::json(200, &RewardView::from(reward))
    })
    .await)
}
