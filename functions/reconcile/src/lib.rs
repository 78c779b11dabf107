//! The `reconcile` function: on a schedule, settles rewards left `PENDING` and refunds left halfway.
//! Invoked by hand, the event may name one shop and a grace period:
//! `{"shop": "my-shop.myshopify.com", "graceSeconds": 0}`.

use std::time::Duration;

use lambda_http::{Error, LambdaEvent};
use serde::Deserialize;
use tally_api::jobs::{deadline, metrics};
use tally_app::reconcile::{reconcile, ReconcileReport};
use tally_app::settle::DEFAULT_GRACE;
use tally_config::Deps;
use tally_domain::shop::ShopDomain;

/// The parts of the event this function reads; a scheduled event has none of them.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Request {
    #[serde(default)]
    pub shop: Option<String>,
    #[serde(default)]
    pub grace_seconds: Option<u64>,
}

/// The grace period of scheduled runs: `RECONCILE_GRACE_SECONDS`, or 120 s.
pub fn grace_from_env() -> Result<Duration, Error> {
    match std::env::var("RECONCILE_GRACE_SECONDS") {
        Ok(seconds) => Ok(Duration::from_secs(seconds.parse()?)),
        Err(_) => Ok(DEFAULT_GRACE),
    }
}

#[tracing::instrument(skip_all)]
pub async fn handler(
    deps: &Deps,
    grace: Duration,
    event: LambdaEvent<serde_json::Value>,
) -> Result<ReconcileReport, Error> {
    let request: Request = serde_json::from_value(event.payload).unwrap_or_default();
    let grace = request.grace_seconds.map(Duration::from_secs).unwrap_or(grace);
    let shop = request.shop.as_deref().map(ShopDomain::parse).transpose()?;
    let report = Box::pin(reconcile(deps, shop.as_ref(), grace, deps.now(), deadline(&event.context))).await?;
    if !report.skipped {
        metrics("Reconcile", &[("JobErrors", report.errors), ("RewardsInReview", report.in_review)]);
    }
    Ok(report)
}
