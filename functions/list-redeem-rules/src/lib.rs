//! `GET /api/external/point-redeem-rules`: the shop's active redemption rules.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::rule::RuleStatus;
use tally_shared::http::{authenticate, json_response, respond, Reply};
use tally_shared::Deps;

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(list_rules(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn list_rules(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let mut rules = deps.store.list_rules(&shop.domain).await?;
    rules.retain(|rule| rule.status == RuleStatus::Active);
    json_response(200, &rules)
}
