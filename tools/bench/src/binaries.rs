//! Each function's release binary: its size, its start-up, and its memory while serving.

use std::time::Duration;

use crate::{runtime, Error, KEY};

/// Each function's start-up to its first request for work (the median of 5); it reads no table, and the
/// events function sends nothing.
pub(crate) async fn startups(endpoint: &str) -> Result<Vec<Duration>, Error> {
    let env = environment("unused", endpoint);
    let mut medians = Vec::new();
    for name in functions()? {
        let mut startups = Vec::new();
        for _ in 0..5 {
            startups.push(runtime::start(&binary(&name)?, &env, "{}", 0).await?.startup);
        }
        startups.sort();
        medians.push(startups[2]);
    }
    Ok(medians)
}

/// Sample invocations each function serves before its peak memory is read.
const SAMPLES: u64 = 20;

/// Each function's release binary: stripped size, start-up, and peak memory while serving: redeem-points
/// 200 redemptions, every other function with a sample event of its name (`events/{name}.json`) that
/// event `SAMPLES` times, the rest (events, webhooks, the portal's activity, the deletion) at start-up.
pub(crate) async fn binaries(
    endpoint: &str,
    table: &str,
    startups: Vec<Duration>,
) -> Result<Vec<(String, u64, Duration, Option<u64>)>, Error> {
    let env = environment(table, endpoint);
    let mut rows = Vec::new();
    for (name, startup) in functions()?.into_iter().zip(startups) {
        let binary = binary(&name)?;
        let size = std::fs::metadata(&binary)?.len();
        // The samples are the local stack's: its key becomes the bench's, and the bench's customers
        // include 1001 at the default size. A sample naming what the bench's table lacks is answered with
        // its refusal.
        let sample = std::fs::read_to_string(format!("events/{name}.json")).ok().map(|event| {
            event.replace("tly_demo_local_development_key", KEY).replace("demo.myshopify.com", crate::DOMAIN)
        });
        let (event, invocations) = match (name.as_str(), sample) {
            ("redeem-points", Some(event)) => (event.replace("\\\"customerId\\\": 1001", "\\\"customerId\\\": 1"), 200),
            (_, Some(event)) => (event, SAMPLES),
            (_, None) => ("{}".to_string(), 0),
        };
        // A function that stops answering its sample is reported without a figure, not the run stopped.
        let peak = match runtime::start(&binary, &env, &event, invocations).await {
            Ok(started) => started.peak_rss_kib,
            Err(e) => {
                eprintln!("{name}: no memory figure: {e}");
                None
            }
        };
        rows.push((name, size, startup, peak));
    }
    Ok(rows)
}

/// What every function is started with: its table, DynamoDB Local, and a bus the events function is named
/// (and sends nothing to here) with DynamoDB Local standing in for EventBridge's address.
fn environment(table: &str, endpoint: &str) -> [(&'static str, String); 4] {
    [
        ("TABLE_NAME", table.to_string()),
        ("DYNAMODB_ENDPOINT", endpoint.to_string()),
        ("EVENT_BUS_NAME", "unused".to_string()),
        ("EVENTBRIDGE_ENDPOINT", endpoint.to_string()),
    ]
}

/// Each function's arm64 bootstrap as `make release` left it (`target/lambda/{name}/bootstrap`, wherever
/// cargo builds), by name; none where it was not run.
pub(crate) fn arm64() -> Result<Vec<(String, u64)>, Error> {
    let release = std::env::current_exe()?.parent().ok_or("no folder")?.to_path_buf();
    let lambda = release.parent().ok_or("no target folder")?.join("lambda");
    let mut sizes = Vec::new();
    for name in functions()? {
        if let Ok(found) = std::fs::metadata(lambda.join(&name).join("bootstrap")) {
            sizes.push((name, found.len()));
        }
    }
    Ok(sizes)
}

/// A function's release binary, beside the benchmark's own.
fn binary(name: &str) -> Result<std::path::PathBuf, Error> {
    let binary = std::env::current_exe()?.parent().ok_or("no folder")?.join(name);
    match binary.exists() {
        true => Ok(binary),
        false => Err(format!("{}: not found; run cargo build --release", binary.display()).into()),
    }
}

/// Every function of `functions/`, one binary each.
fn functions() -> Result<Vec<String>, Error> {
    let mut names: Vec<String> = std::fs::read_dir("functions")?
        .filter_map(|entry| entry.ok().filter(|e| e.path().join("Cargo.toml").exists()))
        .filter_map(|entry| entry.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}
