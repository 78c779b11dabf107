//! `PUT /api/external/point-redeem-rules/{id}`: replace a redemption rule, keeping its id.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::effect::Effect;
use tally_shared::domain::parse_json;
use tally_shared::domain::rule::RuleInput;
use tally_shared::http::{body, json_response, path_id};
use tally_shared::idempotency::write;
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let req = &req;
    Ok(write(deps, req, |shop, attempt| async move {
        let rule = match attempt.resume {
            Some(Effect::Rule { id }) => deps.store.get_rule(&shop.domain, id).await?,
            _ => {
                let id = path_id(req, "id")?;
                let input: RuleInput = parse_json(body(req))?;
                deps.store.replace_rule(&shop.domain, id, input, attempt.claim.as_ref()).await?
            }
        };
        tracing::info!(rule_id = rule.id, "rule replaced");
        json_response(200, &rule)
    })
    .await)
}
