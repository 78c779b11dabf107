//! `GET /api/external/point-redeem-rules`: the shop's active redemption rules.

use lambda_http::{Body, Error, Request, Response};
use tally_api::views::RuleView;
use tally_api::{read, Reply};
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(read(deps, &req, async |shop| {
        let rules: Vec<RuleView> = rules::active(deps, shop).await?.into_iter().map(RuleView::from).collect();
        Reply::json(200, &rules)
    })
    .await)
}
