//! `GET /api/external/customer-activity?customerId=…&limit=…&cursor=…`: a customer's points activity (every
//! change of their balance), newest first, a page at a time.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::api::views::ActivityView;
use tally_shared::api::{read, request, Reply};
use tally_shared::app::loyalty;
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let who = request::customer(&req)?;
        let limit = request::limit(&req)?;
        let after = request::activity_cursor(&req, &shop.domain)?;
        let page = loyalty::activity(deps, shop, &who, after, limit).await?;
        Reply::json(200, &ActivityView::new(page, &shop.domain))
    })
    .await)
}
