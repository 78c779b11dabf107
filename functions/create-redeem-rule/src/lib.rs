//! `POST /api/external/point-redeem-rules`: create a redemption rule.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::parse_json;
use tally_shared::domain::rule::RuleInput;
use tally_shared::http::{authenticate, body, json_response, respond, Reply};
use tally_shared::Deps;

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(create_rule(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn create_rule(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let input: RuleInput = parse_json(body(req))?;
    let rule = deps.store.create_rule(&shop.domain, input).await?;
    tracing::info!(rule_id = rule.id, "rule created");
    json_response(201, &rule)
}
