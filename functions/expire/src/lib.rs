//! The `expire` function: on a schedule, ends every unused reward past its end. Invoked by hand, the
//! event may name one shop: `{"shop": "my-shop.myshopify.com"}`.

use lambda_http::{Error, LambdaEvent};
use serde::Deserialize;
use tally_api::jobs::{deadline, metrics};
use tally_app::expire::{expire, ExpireReport};
use tally_config::Deps;
use tally_domain::shop::ShopDomain;

/// The parts of the event this function reads; a scheduled event has none of them.
#[derive(Debug, Default, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub shop: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<ExpireReport, Error> {
    let request: Request = serde_json::from_value(event.payload).unwrap_or_default();
    let shop = request.shop.as_deref().map(ShopDomain::parse).transpose()?;
    let report = Box::pin(expire(deps, shop.as_ref(), deps.now(), deadline(&event.context))).await?;
    metrics("Expire", &[("JobErrors", report.errors)]);
    Ok(report)
}
