//! The `redact` function: deletes the data of the shops `shop/redact` asked to delete, page by page. Its
//! state machine (template.yaml, `RedactStateMachine`, every 15 minutes) asks it for the plan (the
//! deletions recorded and not finished) and then for each shop's slices; invoked by hand with no step, it
//! does them all in one invocation.

use lambda_http::{Error, LambdaEvent};
use tally_api::jobs::{deadline, metrics, JobAnswer, JobEvent, Step};
use tally_app::redaction::{plan, redact, redact_slice, RedactReport};
use tally_config::Deps;

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<JobAnswer<RedactReport>, Error> {
    let (request, shop) = JobEvent::read(event.payload)?;
    let deadline = deadline(&event.context);
    let answer = match (request.step, shop) {
        (Some(Step::Plan), _) => return Ok(JobAnswer::planned(Box::pin(plan(deps)).await?)),
        (Some(Step::Slice), Some(shop)) => {
            let slice = Box::pin(redact_slice(deps, &shop, request.cursor, deadline)).await?;
            report(&slice.report);
            JobAnswer::sliced(&shop, slice)
        }
        (_, _) => {
            let run = Box::pin(redact(deps, deadline)).await?;
            report(&run);
            JobAnswer::Run(run)
        }
    };
    Ok(answer)
}

/// The figures the alarms watch (template.yaml).
fn report(report: &RedactReport) {
    metrics("Redact", &[("JobErrors", report.errors), ("Unfinished", report.unfinished)]);
}
