//! `POST /api/external/point-redeem-rules`: create a redemption rule.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RuleBody;
use tally_api::views::RuleView;
use tally_api::{request, write, Reply};
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::json::<RuleBody>(req)?.new_rule();
    Ok(write(deps, &req, command, async |shop, draft, attempt| {
        Reply::json(201, &RuleView::from(rules::create(deps, shop, draft, attempt).await?))
    })
    .await)
}
