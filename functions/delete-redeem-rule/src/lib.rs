//! `DELETE /api/external/point-redeem-rules/{id}`: delete a redemption rule. Rewards already given keep
//! everything they need; the rule can no longer be redeemed, and its id is never reused.

use lambda_http::{Body, Error, Request, Response};
use serde_json::json;
use tally_shared::domain::effect::Effect;
use tally_shared::http::{json_response, path_id};
use tally_shared::idempotency::write;
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let req = &req;
    Ok(write(deps, req, |shop, attempt| async move {
        let id = match attempt.resume {
            Some(Effect::RuleDeleted { id }) => id,
            _ => {
                let id = path_id(req, "id")?;
                deps.store.delete_rule(&shop.domain, id, attempt.claim.as_ref()).await?;
                id
            }
        };
        tracing::info!(rule_id = id, "rule deleted");
        json_response(200, &json!({"id": id, "deleted": true}))
    })
    .await)
}
