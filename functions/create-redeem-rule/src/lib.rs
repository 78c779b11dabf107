//! `POST /api/external/point-redeem-rules`: create a redemption rule.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::effect::Effect;
use tally_shared::domain::parse_json;
use tally_shared::domain::rule::RuleInput;
use tally_shared::http::{body, json_response};
use tally_shared::idempotency::write;
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let req = &req;
    Ok(write(deps, req, |shop, attempt| async move {
        let rule = match attempt.resume {
            Some(Effect::Rule { id }) => deps.store.get_rule(&shop.domain, id).await?,
            _ => {
                let input: RuleInput = parse_json(body(req))?;
                deps.store.create_rule(&shop.domain, input, attempt.claim.as_ref()).await?
            }
        };
        tracing::info!(rule_id = rule.id, "rule created");
        json_response(201, &rule)
    })
    .await)
}
