//! `GET /loyalty/cp/api/point-redeem-rules`, through the App Proxy: the shop's active rules as the
//! logged-in customer's options, each saying whether they can take it now and, if not, why.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::RedeemOptionView;
use tally_api::{portal, Reply};
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(portal::read(deps, &req, async |shopper| {
        let options = rules::options(deps, &shopper.shop, shopper.customer_id).await?;
        Reply::json(200, &options.into_iter().map(RedeemOptionView::from).collect::<Vec<_>>())
    })
    .await)
}
