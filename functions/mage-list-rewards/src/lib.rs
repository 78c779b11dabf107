//! `GET /v1/rewards?page[number]=…&page[size]=…`, Mage's rewards: the shop's active rules, a page of them,
//! with Mage's `meta`; a rule imported under Mage's text id (`reward_abc`) is named by it.

use lambda_http::{Body, Error, Request, Response};
use tally_api::mage::{self, RewardsPage};
use tally_api::Reply;
use tally_app::rules;
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(mage::read(deps, &req, async |shop| {
        let page = mage::page(&req)?;
        Reply::json(200, &RewardsPage::of(rules::active_with_aliases(deps, shop).await?, page))
    })
    .await)
}
