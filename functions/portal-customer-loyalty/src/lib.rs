//! `GET /loyalty/cp/api/customer-loyalty`, through the App Proxy: the logged-in customer's loyalty
//! information.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::LoyaltyView;
use tally_api::{portal, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(portal::read(deps, &req, async |shopper| {
        Reply::json(200, &LoyaltyView::from(loyalty::of(deps, &shopper.shop, shopper.customer_id).await?))
    })
    .await)
}
