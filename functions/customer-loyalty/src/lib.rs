//! `GET /api/external/customer-loyalty?customerId=…` (or another identifier; `customer_id` as Appstle's guide
//! writes it): a customer's loyalty information, its rewards those of `status` (one, or several joined by
//! commas) when given. A `shop` in the query is accepted and ignored: the key decides the shop.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::LoyaltyView;
use tally_api::{read, request, Reply};
use tally_app::loyalty;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let who = request::customer(&req)?;
        let statuses = request::reward_statuses(&req)?;
        let mut loyalty = loyalty::find(deps, shop, &who).await?;
        if let Some(statuses) = statuses {
            loyalty.rewards.retain(|r| statuses.contains(&r.status()));
        }
        Reply::json(200, &LoyaltyView::from(loyalty))
    })
    .await)
}
