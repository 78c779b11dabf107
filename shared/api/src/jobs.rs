//! The glue of the scheduled functions: the time their Lambda has, and the figures they report to
//! CloudWatch (as Embedded Metric Format lines in their logs, which CloudWatch turns into metrics).

use std::time::{Instant, SystemTime};

use lambda_http::Context;
use serde_json::json;

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
