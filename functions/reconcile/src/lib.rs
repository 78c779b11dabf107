//! The `reconcile` function: settles rewards left `PENDING` and refunds left halfway. Its state machine
//! (template.yaml, `ReconcileStateMachine`, every five minutes) asks it for the plan of a run and then for
//! each shop's slices; invoked by hand with no step, it does a whole run, of one shop and with a grace
//! period if the event says: `{"shop": "my-shop.myshopify.com", "graceSeconds": 0}`.

use std::time::Duration;

use lambda_http::{Error, LambdaEvent};
use tally_api::jobs::{deadline, metrics, JobAnswer, JobEvent, Step};
use tally_app::jobs::plan;
use tally_app::reconcile::{reconcile, reconcile_slice, ReconcileReport};
use tally_app::settle::DEFAULT_GRACE;
use tally_config::Deps;

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
) -> Result<JobAnswer<ReconcileReport>, Error> {
    let (request, shop) = JobEvent::read(event.payload)?;
    let grace = request.grace_seconds.map(Duration::from_secs).unwrap_or(grace);
    let deadline = deadline(&event.context);
    let answer = match (request.step, shop) {
        (Some(Step::Plan), shop) => return Ok(JobAnswer::planned(plan(deps, shop.as_ref()).await?)),
        (Some(Step::Slice), Some(shop)) => {
            let slice = Box::pin(reconcile_slice(deps, &shop, grace, deps.now(), request.cursor, deadline)).await?;
            report(&slice.report);
            JobAnswer::sliced(&shop, slice)
        }
        (_, shop) => {
            let run = Box::pin(reconcile(deps, shop.as_ref(), grace, deps.now(), deadline)).await?;
            report(&run);
            JobAnswer::Run(run)
        }
    };
    Ok(answer)
}

/// The figures the alarms watch (template.yaml).
fn report(report: &ReconcileReport) {
    metrics(
        "Reconcile",
        &[
            ("JobErrors", report.errors),
            ("RewardsInReview", report.in_review),
            ("Unfinished", report.unfinished),
            ("PutOff", report.put_off),
            ("ShopifyFailing", report.shopify_failing),
        ],
    );
}
