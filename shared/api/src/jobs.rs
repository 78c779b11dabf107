//! The glue of the scheduled functions: the time their Lambda has, and the figures they report to
//! CloudWatch (as Embedded Metric Format lines in their logs, which CloudWatch turns into metrics).

use std::time::{Instant, SystemTime};

use lambda_http::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tally_app::jobs::{Cursor, Slice};
use tally_domain::shop::ShopDomain;

/// The CloudWatch namespace of Tally's own metrics (template.yaml's alarms watch them).
pub const NAMESPACE: &str = "Tally";

/// When the invocation must end: the Lambda context's deadline, as an instant.
pub fn deadline(context: &Context) -> Option<Instant> {
    (context.deadline > 0)
        .then(|| Instant::now() + context.deadline().duration_since(SystemTime::now()).unwrap_or_default())
}

/// Writes `figures` of the job `job` as one Embedded Metric Format log line.
pub fn metrics(job: &str, figures: &[(&str, usize)]) {
    let millis = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    let names: Vec<_> = figures.iter().map(|(name, _)| json!({"Name": name, "Unit": "Count"})).collect();
    let mut line = json!({
        "_aws": {"Timestamp": millis, "CloudWatchMetrics": [{"Namespace": NAMESPACE, "Dimensions": [["Job"]], "Metrics": names}]},
        "Job": job,
    });
    for (name, value) in figures {
        line[*name] = json!(value);
    }
    println!("{line}");
}

/// What a job's function is asked: by its state machine, to `plan` a run (the shops to work on) or to do
/// one `slice` of a shop's work from its cursor; with no step (by hand, `tally-cli`), a whole run in one
/// invocation, of `shop` or of every shop.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct JobEvent {
    #[serde(default)]
    pub step: Option<Step>,
    #[serde(default)]
    pub shop: Option<String>,
    #[serde(default)]
    pub cursor: Option<Cursor>,
    /// Reconciliation only: how old a pending reward must be.
    #[serde(default)]
    pub grace_seconds: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    Plan,
    Slice,
}

/// A job function's event could not be read: the invocation fails, and its retries and alarms tell.
#[derive(Debug, thiserror::Error)]
pub enum BadJobEvent {
    #[error("the event does not read as a job's event: {0}")]
    Shape(#[from] serde_json::Error),
    #[error(transparent)]
    Shop(#[from] tally_domain::shop::ShopError),
    #[error("a slice names the shop it works on")]
    NoShop,
}

impl JobEvent {
    /// The event, read; a scheduled event from EventBridge reads as a whole run.
    pub fn read(payload: serde_json::Value) -> Result<(JobEvent, Option<ShopDomain>), BadJobEvent> {
        // EventBridge's own fields are not a job's; anything else must be.
        let event: JobEvent = match payload.get("detail-type") {
            Some(_) => JobEvent::default(),
            None => serde_json::from_value(payload)?,
        };
        let shop = event.shop.as_deref().map(ShopDomain::parse).transpose()?;
        if event.step == Some(Step::Slice) && shop.is_none() {
            return Err(BadJobEvent::NoShop);
        }
        Ok((event, shop))
    }
}

/// What a job's function answers: the state machine reads `shops` of a plan, and `shop`, `cursor` and
/// `done` of a slice.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum JobAnswer<R> {
    Planned { shops: Vec<ShopWork> },
    Sliced { shop: String, cursor: Option<Cursor>, done: bool, report: R },
    Run(R),
}

#[derive(Debug, Serialize)]
pub struct ShopWork {
    pub shop: String,
    pub cursor: Option<Cursor>,
}

impl<R> JobAnswer<R> {
    pub fn planned(shops: Vec<ShopDomain>) -> Self {
        JobAnswer::Planned {
            shops: shops.into_iter().map(|s| ShopWork { shop: s.to_string(), cursor: None }).collect(),
        }
    }

    pub fn sliced(shop: &ShopDomain, slice: Slice<R>) -> Self {
        let done = slice.next.is_none();
        JobAnswer::Sliced { shop: shop.to_string(), cursor: slice.next, done, report: slice.report }
    }
}
