//! `GET /api/external/customer-rewards?customerId=…&status=…&limit=…&cursor=…`: a customer's rewards,
//! newest first, a page at a time.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::RewardPageView;
use tally_api::{read, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let who = request::customer(&req)?;
        let status = request::reward_status(&req)?;
        let limit = request::limit(&req)?;
        let after = request::reward_cursor(&req, shop.domain.as_str())?;
        let page = loyalty::rewards(deps, shop, &who, status, after, limit).await?;
        Reply::json(200, &RewardPageView::new(page, shop.domain.as_str()))
    })
    .await)
}
