//! The `expire` function: on a schedule, ends every unused reward past its end. Invoked by hand, the
//! event may name one shop: `{"shop": "my-shop.myshopify.com"}`.

use lambda_http::{Error, LambdaEvent};
use serde::Deserialize;
use tally_shared::expire::{expire, ExpireReport};
use tally_shared::Deps;

#[derive(Debug, Default, Deserialize)]
pub struct Request {
    #[serde(default)]
    pub shop: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<ExpireReport, Error> {
    let request: Request = serde_json::from_value(event.payload).unwrap_or_default();
    Ok(expire(deps, request.shop.as_deref(), tally_shared::domain::now()).await?)
}
