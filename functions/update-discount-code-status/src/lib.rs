//! `PUT /api/external/update-discount-code-status` (Appstle's legacy call): the status set on a code, found
//! by the code alone; answered with the customer's loyalty information.

use lambda_http::{Body, Error, Request, Response};
use tally_api::discounts::StatusBody;
use tally_api::views::LoyaltyView;
use tally_api::{request, write, Reply};
use tally_app::discounts::set_status;
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<StatusBody>(req)?.command(false);
    Ok(write(deps, &req, command, async |shop, (of, status), attempt| {
        let reward = set_status(deps, shop, of.customer, &of.code, status, attempt).await?;
        Reply::json(200, &LoyaltyView::from(loyalty::of(deps, shop, reward.customer_id).await?))
    })
    .await)
}
