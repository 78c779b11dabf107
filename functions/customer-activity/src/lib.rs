//! `GET /api/external/customer-activity?customerId=…&limit=…&cursor=…`: a customer's points activity (every
//! change of their balance), newest first, a page at a time.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::ActivityView;
use tally_api::{read, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let who = request::customer(&req)?;
        let limit = request::limit(&req)?;
        let after = request::activity_cursor(&req, shop.domain.as_str())?;
        let page = loyalty::activity(deps, shop, &who, after, limit).await?;
        Reply::json(200, &ActivityView::new(page, shop.domain.as_str()))
    })
    .await)
}
