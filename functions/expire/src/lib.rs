//! The `expire` function: ends every unused reward past its end, and the points whose lots expired. Its
//! state machine (template.yaml, `ExpireStateMachine`, hourly) asks it for the plan of a run and then for
//! each shop's slices; invoked by hand with no step, it does a whole run: `{"shop": "my-shop.myshopify.com"}`
//! for one shop, `{}` for every shop.

use lambda_http::{Error, LambdaEvent};
use std::time::Instant;
use tally_api::jobs::{deadline, metrics, JobAnswer, JobEvent, Step};

use tally_app::events::notice_expiring;
use tally_app::expire::{expire, expire_slice, ExpireReport};
use tally_app::jobs::plan;
use tally_app::ports::store::ShopRecords;
use tally_app::ports::Store;
use tally_config::Deps;
use tally_domain::shop::ShopDomain;

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, event: LambdaEvent<serde_json::Value>) -> Result<JobAnswer<ExpireReport>, Error> {
    let (request, shop) = JobEvent::read(event.payload)?;
    let deadline = deadline(&event.context);
    let answer = match (request.step, shop) {
        (Some(Step::Plan), shop) => return Ok(JobAnswer::planned(plan(deps, shop.as_ref()).await?)),
        (Some(Step::Slice), Some(shop)) => {
            let slice = Box::pin(expire_slice(deps, &shop, deps.now(), request.cursor, deadline)).await?;
            report(&slice.report);
            if slice.next.is_none() {
                notices(deps, Some(&shop), deadline).await;
            }
            JobAnswer::sliced(&shop, slice)
        }
        (_, shop) => {
            let run = Box::pin(expire(deps, shop.as_ref(), deps.now(), deadline)).await?;
            report(&run);
            notices(deps, shop.as_ref(), deadline).await;
            JobAnswer::Run(run)
        }
    };
    Ok(answer)
}

/// Once a shop's expiry is done, the notices of its points expiring soon (`points.expiring_soon`): of
/// `only` or of every shop. A failure is logged and counted; the next run notices what this one did not.
async fn notices(deps: &Deps, only: Option<&ShopDomain>, deadline: Option<Instant>) {
    let shops = match only {
        Some(domain) => deps.store.shop(domain).get().await.map(|shop| shop.into_iter().collect()),
        None => deps.store.shops().await,
    };
    let shops = match shops {
        Ok(shops) => shops,
        Err(e) => {
            tracing::error!(error = %e, "notices: the shops could not be read");
            Vec::new()
        }
    };
    let (mut noticed, mut errors) = (0, 0);
    for shop in shops {
        match notice_expiring(deps, &shop, deps.now(), deadline).await {
            Ok(n) => noticed += n,
            Err(e) => {
                tracing::error!(shop = %shop.domain, error = %e, "notices: could not notice expiring points");
                errors += 1;
            }
        }
    }
    metrics("Expire", &[("Noticed", noticed), ("NoticeErrors", errors)]);
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
