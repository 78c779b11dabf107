//! `GET /loyalty/cp/api/customer-activity` through the App Proxy, and `GET /api/extension/customer-activity`
//! from a UI extension: the logged-in customer's points activity, newest first, a page at a time
//! (`limit`, `cursor`).

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::ActivityView;
use tally_api::{portal, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;
use tally_domain::customer::CustomerRef;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(portal::read(deps, &req, async |shopper| {
        let limit = request::limit(&req)?;
        let after = request::activity_cursor(&req, shopper.shop.domain.as_str())?;
        let who = CustomerRef::Id(shopper.customer_id);
        let page = loyalty::activity(deps, &shopper.shop, &who, after, limit).await?;
        Reply::json(200, &ActivityView::new(page, shopper.shop.domain.as_str()))
    })
    .await)
}
