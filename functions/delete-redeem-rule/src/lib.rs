//! `DELETE /api/external/point-redeem-rules/{id}`: delete a redemption rule. Rewards already given keep
//! everything they need; the rule can no longer be redeemed, and its id is never reused.

use lambda_http::{Body, Error, Request, Response};
use serde_json::json;
use tally_api::{request, write, Reply};
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    let command = |req: &Request| request::path_id(req, "id");
    Ok(write(deps, &req, command, async |shop, id, attempt| {
        let id = rules::delete(deps, shop, id, attempt).await?;
        Reply::json(200, &json!({"id": id, "deleted": true}))
    })
    .await)
}
