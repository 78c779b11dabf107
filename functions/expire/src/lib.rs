//! The `expire` function: ends every unused reward past its end, and the points whose lots expired. Its
//! state machine (template.yaml, `ExpireStateMachine`, hourly) asks it for the plan of a run and then for
//! each shop's slices; invoked by hand with no step, it does a whole run: `{"shop": "my-shop.myshopify.com"}`
//! for one shop, `{}` for every shop.

use lambda_http::{Error, LambdaEvent};
use tally_api::jobs::{deadline, metrics, JobAnswer, JobEvent, Step};
use tally_app::expire::{expire, expire_slice, ExpireReport};
use tally_app::jobs::plan;
use tally_config::Deps;

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<JobAnswer<ExpireReport>, Error> {
    let (request, shop) = JobEvent::read(event.payload)?;
    let deadline = deadline(&event.context);
    let answer = match (request.step, shop) {
        (Some(Step::Plan), shop) => return Ok(JobAnswer::planned(plan(deps, shop.as_ref()).await?)),
        (Some(Step::Slice), Some(shop)) => {
            let slice = Box::pin(expire_slice(deps, &shop, deps.now(), request.cursor, deadline)).await?;
            report(&slice.report);
            JobAnswer::sliced(&shop, slice)
        }
        (_, shop) => {
            let run = Box::pin(expire(deps, shop.as_ref(), deps.now(), deadline)).await?;
            report(&run);
            JobAnswer::Run(run)
        }
    };
    Ok(answer)
}

/// The figures the alarms watch (template.yaml).
fn report(report: &ExpireReport) {
    metrics(
        "Expire",
        &[
            ("JobErrors", report.errors),
            ("Unfinished", report.unfinished),
            ("PutOff", report.put_off),
            ("ShopifyFailing", report.shopify_failing),
        ],
    );
}
