//! `PUT /api/external/point-redeem-rules/{id}`: replace a redemption rule, keeping its id.

use lambda_http::{Body, Error, Request, Response};
use tally_api::bodies::RuleBody;
use tally_api::views::RuleView;
use tally_api::{request, write, Reply};
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| {
        let id = request::path_id(req, "id")?;
        Ok((id, request::json::<RuleBody>(req)?.rule_for(id)?))
    };
    Ok(write(deps, &req, command, async |shop, (id, draft), attempt| {
        Reply::json(200, &RuleView::from(rules::replace(deps, shop, id, draft, attempt).await?))
    })
    .await)
}
