//! `make bench`: one run against DynamoDB Local and the Shopify emulator, written to bench/report.md.

mod binaries;
mod contention;
mod floor;
mod meter;
mod paths;
mod report;
mod runtime;
mod sections;
mod setup;
mod simulation;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::AttributeValue;
use tally_domain::rule::RedeemRule;
use tally_domain::shop::Shop;

use meter::Meter;

type Error = Box<dyn std::error::Error + Send + Sync>;
type Item = HashMap<String, AttributeValue>;

const KEY: &str = "tly_bench_key";
const DOMAIN: &str = "bench.myshopify.com";
const LEVELS: [usize; 3] = [1, 8, 32];
/// Operations per concurrency level; `BENCH_OPERATIONS` overrides it for a quick run.
const PER_LEVEL: usize = 320;
/// Redemptions whose capacity is metered, to average over.
const METERED: usize = 20;
/// For some seconds after a load (or its own start) DynamoDB Local's JVM keeps a core busy, which on two
/// cores slows every exec: start-up is measured after this pause.
const QUIET: Duration = Duration::from_secs(10);

struct Bench {
    deps: Arc<tally_config::Deps>,
    raw: aws_sdk_dynamodb::Client,
    table: String,
    api: String,
    /// The same API server code on a client that meters capacity (kept apart from the latency runs).
    metered_api: String,
    meter: Meter,
    http: reqwest::Client,
    rule: u64,
    /// A real redemption's items, copied by the floor so that it writes what a redemption writes.
    items: HashMap<&'static str, Item>,
    /// The shop and the rule, as a redemption reads them.
    records: (Shop, RedeemRule),
    /// When the copied reward ends, for its listing.
    reward_expiry: Option<tally_domain::Time>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").map_err(|_| "DYNAMODB_ENDPOINT must name DynamoDB Local")?;
    let per_level = std::env::var("BENCH_OPERATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(PER_LEVEL);
    let fresh: usize = LEVELS.iter().map(|level| level * (per_level / level).max(1)).sum();
    let on_paths = paths::PATHS * (paths::PER_PATH + 1);
    let bench = setup::setup(&endpoint, (fresh + 2 * METERED + on_paths) as u64).await?;
    // Each redemption is by a customer of its own, with points and no earlier reward, as the floor's
    // calls are on a fresh partition.
    let mut next_customer = setup::FIRST_FRESH_CUSTOMER;
    let mut rows = Vec::new();
    for level in LEVELS {
        let (first, per_worker) = (next_customer, (per_level / level).max(1));
        next_customer += (level * per_worker) as u64;
        let customer = |w: usize, i: usize| first + (w * per_worker + i) as u64;
        let redeem = measure(level, per_worker, |w, i| {
            let customer = customer(w, i);
            bench.redeem_with_key(&bench.api, customer, Some(format!("latency-{customer}")))
        })
        .await;
        let floor = measure(level, per_worker, |w, i| bench.floor(w, i)).await;
        let shopify = measure(level, per_worker, |w, i| bench.shopify_alone(w, i)).await;
        rows.push((level, redeem, floor, shopify));
    }
    let capacity = bench.capacity(next_customer, false).await?;
    let keyed = bench.capacity(next_customer + METERED as u64, true).await?;
    let paths = bench.paths(next_customer + 2 * METERED as u64).await?;
    let contention = bench.contention().await?;
    tokio::time::sleep(QUIET).await;
    let startups = binaries::startups(&endpoint).await?;
    let binaries = binaries::binaries(&endpoint, &bench.table, startups).await?;
    let arm64 = binaries::arm64()?;
    let simulation = simulation::simulation(&endpoint).await?;
    let run = report::Run { rows: &rows, capacity: &capacity, keyed: &keyed, binaries: &binaries, arm64: &arm64 };
    let report = report::report(&run)
        + &sections::paths(&paths)
        + &sections::contention(&contention)
        + &sections::partitions()
        + &report::lots()?
        + &report::widget()?
        + &simulation;
    std::fs::create_dir_all("bench")?;
    std::fs::write("bench/report.md", &report)?;
    println!("{report}");
    Ok(())
}

/// Latencies and throughput of `level` concurrent workers running `per_worker` operations each.
pub(crate) struct Figures {
    p50: Duration,
    p99: Duration,
    per_second: f64,
}

async fn measure<F, Fut>(level: usize, per_worker: usize, operation: F) -> Figures
where
    F: Fn(usize, usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let started = Instant::now();
    let workers = (0..level).map(|worker| {
        let operation = &operation;
        async move {
            let mut latencies = Vec::new();
            for i in 0..per_worker {
                let t = Instant::now();
                operation(worker, i).await;
                latencies.push(t.elapsed());
            }
            latencies
        }
    });
    let mut latencies: Vec<Duration> = futures::future::join_all(workers).await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    latencies.sort();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Figures { p50: at(0.50), p99: at(0.99), per_second: latencies.len() as f64 / elapsed.as_secs_f64() }
}
