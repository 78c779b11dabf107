//! The report: every figure of the run, with how it was measured.

use std::collections::BTreeMap;
use std::time::Duration;

use tally_store::keys;

use crate::meter::{self, Usage};
use crate::{Error, Figures, METERED};

/// US East (N. Virginia), November 2026: on-demand DynamoDB, arm64 Lambda, HTTP API.
const PRICE_WRITE_UNIT: f64 = 0.625 / 1e6;
const PRICE_READ_UNIT: f64 = 0.125 / 1e6;
const PRICE_LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
const PRICE_LAMBDA_REQUEST: f64 = 0.20 / 1e6;
const PRICE_HTTP_API_REQUEST: f64 = 1.00 / 1e6;
/// What the jobs' walk of the journal spends later on a reward with a code and an end, by DynamoDB's rules
/// (not metered): its consistent read in a batch, then its put, under 1 KB, with one index entry.
const WALK_READS: f64 = 1.0;
const WALK_WRITES: f64 = 2.0;

pub(crate) fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

/// Everything one run measured.
pub(crate) struct Run<'a> {
    pub rows: &'a [(usize, Figures, Figures, Figures)],
    pub capacity: &'a BTreeMap<&'static str, Usage>,
    pub keyed: &'a BTreeMap<&'static str, Usage>,
    pub binaries: &'a [(String, u64, Duration, Option<u64>)],
    pub arm64: &'a [(String, u64)],
}

pub(crate) fn report(run: &Run) -> String {
    let now = tally_domain::rfc3339(tally_domain::Time::now_utc());
    let machine = machine();
    let mut out = format!("# Tally benchmark report\n\nRun {now} on {machine}, against DynamoDB Local (in memory) and the Shopify emulator, release build, debug logging off. One run; figures, not assertions.\n\n");
    out.push_str("## Redemption against its floor\n\nA redemption is `POST /api/external/redeem-points` with an `Idempotency-Key`, through the local API server (the handler Lambda runs), for a $1 code; each worker redeems for its own customer. The floor is, in the same run, what a keyed redemption cannot do without, issued bare through the SDK on items copied from a real redemption: one read round trip (`BatchGetItem` of the customer, the rule and the key's record, with the bounded query of the customer's newest rewards at the same time), one `TransactWriteItems` (the debit, its ledger entry, the reward, its code's item, the key's claim), the Shopify call (`discountCodeBasicCreate` through the same client), and one round trip writing the reward's outcome and the key's answer at once. Ratio = redemption p50 / floor p50. The Shopify call alone is shown for scale.\n\n");
    out.push_str("| concurrency | redemption p50 ms | p99 ms | redemptions/s | floor p50 ms | p99 ms | Shopify alone p50 ms | p99 ms | ratio at p50 |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (level, redeem, floor, shopify) in run.rows {
        let ratio = redeem.p50.as_secs_f64() / floor.p50.as_secs_f64();
        out.push_str(&format!(
            "| {level} | {} | {} | {:.0} | {} | {} | {} | {} | {ratio:.2}x |\n",
            ms(redeem.p50),
            ms(redeem.p99),
            redeem.per_second,
            ms(floor.p50),
            ms(floor.p99),
            ms(shopify.p50),
            ms(shopify.p99)
        ));
    }
    out.push_str(&capacity(run));
    out.push_str("\n## Function binaries\n\nRelease build for this machine's architecture (`cargo build --release`: `opt-level = \"z\"`, fat LTO, one codegen unit, `panic = \"abort\"`, stripped), every function of `functions/`; the arm64 bootstrap is what `make release` (`cargo lambda build --release --arm64`) made, where it was run. Start-up is from exec to the binary's first request for work to a local Lambda Runtime API (median of 5, measured after the load and a 10-second pause), with configuration read and clients built. Peak memory is `VmHWM`: redeem-points' after serving 200 redemptions; every other function's after serving its sample event (`events/{name}.json`, with the bench's API key and shop) 20 times, answered as the bench's table allows (a sample naming what the table lacks, or signed for the local stack's shop, is refused, which costs less than a success); events, shopify-webhooks, portal-customer-activity and redact, which have no sample of their name, at start-up; `-` where a function did not serve its sample.\n\n| function | stripped size MB (10^6 bytes) | arm64 bootstrap MB | start-up ms | peak resident MiB |\n| --- | --- | --- | --- | --- |\n");
    for (name, size, startup, peak) in run.binaries {
        let peak = peak.map(|kib| format!("{:.1}", kib as f64 / 1024.0)).unwrap_or_else(|| "-".into());
        let arm = run.arm64.iter().find(|(n, _)| n == name).map(|(_, b)| format!("{:.2}", *b as f64 / 1e6));
        let arm = arm.unwrap_or_else(|| "not built".into());
        out.push_str(&format!("| {name} | {:.2} | {arm} | {} | {peak} |\n", *size as f64 / 1e6, ms(*startup)));
    }
    out.push_str("\nTargets: redemption within 1.25x of its floor at p50; at most 3 sequential DynamoDB round trips, 10 write units (12 with a key) per immediate redemption; start-up under 10 ms; arm64 bootstrap under 4 MB; under 40 MB resident.\n");
    out
}

fn capacity(run: &Run) -> String {
    let p50 = run.rows.first().map(|r| r.1.p50).unwrap_or_default();
    let billed_ms = (p50.as_secs_f64() * 1000.0).ceil();
    let lambda = billed_ms / 1000.0 * 0.125 * PRICE_LAMBDA_GB_SECOND_ARM + PRICE_LAMBDA_REQUEST;
    let total = |usage: &BTreeMap<&'static str, Usage>| -> (f64, f64, f64) {
        let (reads, writes) = usage.values().fold((0.0, 0.0), |(r, w), u| (r + u.reads, w + u.writes));
        (reads, writes, (reads * PRICE_READ_UNIT + writes * PRICE_WRITE_UNIT) * 1e6)
    };
    let (reads, writes, dynamodb) = total(run.capacity);
    let (keyed_reads, keyed_writes, keyed_dynamodb) = total(run.keyed);
    let walk = (WALK_READS * PRICE_READ_UNIT + WALK_WRITES * PRICE_WRITE_UNIT) * 1e6;
    let mut out = format!(
        "\n## Capacity and cost\n\nThe redemption code itself, run {METERED} times without and {METERED} times with an `Idempotency-Key`, through a DynamoDB client that adds `ReturnConsumedCapacity: INDEXES` to each call and adds up what DynamoDB Local reports, except for the transaction: DynamoDB Local's figure for a transaction does not follow DynamoDB's rules (it reports 4 units for one 300-byte put, and 4 for two), so the transaction is counted from its request by those rules, two write units per KB of each item and one per KB of each index entry. Per immediate redemption: **{reads:.1} read units and {writes:.1} write units** without a key, {keyed_reads:.1} and {keyed_writes:.1} with one (the key's record is created inside the transaction with the answer promised in it, and nothing more is written under the key once Shopify has issued the code). These are the request's: the jobs' walk of the journal later writes a reward that has a code and an end once more (its item and its listing, {WALK_WRITES:.0} write units, after {WALK_READS:.0} read unit, by DynamoDB's rules), which the cost below leaves out (${walk:.2} a million more at these prices).\n\n| operation | calls | read units | write units | of which index writes | with a key: calls | read units | write units |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    );
    let operations: std::collections::BTreeSet<_> = run.capacity.keys().chain(run.keyed.keys()).collect();
    for operation in operations {
        let Usage { calls, reads, writes, index_writes } = run.capacity.get(operation).copied().unwrap_or_default();
        let with_key = run.keyed.get(operation).copied().unwrap_or_default();
        out.push_str(&format!(
            "| {operation} | {calls:.1} | {reads:.1} | {writes:.1} | {index_writes:.1} | {:.1} | {:.1} | {:.1} |\n",
            with_key.calls, with_key.reads, with_key.writes
        ));
    }
    let lambda = lambda * 1e6;
    out.push_str(&format!(
        "\n| per million redemptions, USD | without a key | with a key |\n| --- | --- | --- |\n| DynamoDB on-demand (read units x $0.125/M, write units x $0.625/M) | {dynamodb:.2} | {keyed_dynamodb:.2} |\n| Lambda arm64, 128 MB, {billed_ms:.0} ms billed (the p50 at concurrency 1) at $0.0000133334/GB-s, + $0.20/M requests | {lambda:.2} | {lambda:.2} |\n| **total** | **{:.2}** | **{:.2}** |\n| HTTP API in front ($1.00/M requests), if used | {:.2} | {:.2} |\n\nPrices: US East (N. Virginia) list prices for on-demand DynamoDB, arm64 Lambda and HTTP APIs, as of November 2026. The Lambda duration here is that of DynamoDB Local and the emulator on this machine; in AWS it is set by DynamoDB's and Shopify's latency, not measured here, and the Lambda line grows with it (each further 100 ms billed at 128 MB adds $0.17 per million).\n",
        dynamodb + lambda, keyed_dynamodb + lambda, PRICE_HTTP_API_REQUEST * 1e6, PRICE_HTTP_API_REQUEST * 1e6
    ));
    out
}

/// The customer's item as its lots grow, against the 1 KB a write unit covers (the transaction of a
/// redemption writes it at two units a KB).
pub(crate) fn lots() -> Result<String, Error> {
    use tally_domain::customer::Enrollment;
    use tally_domain::lots::{Lot, Lots, MAX_LOTS};
    use tally_store::records::customer::CustomerRecord;
    let enrollment = Enrollment::new(
        9_007_199_254_740_991,
        "a.long.customer.address@example-shop-domain.com",
        Some("+441234567890"),
        Some("POS-000000000000000000000000000000000000000000000000000000000001"),
        Some("Platinum"),
    )?;
    let now = tally_domain::Time::now_utc().replace_nanosecond(0)?;
    let domain = tally_domain::shop::ShopDomain::parse("a-rather-long-shop-name-for-a-test.myshopify.com")?;
    let mut out = format!(
        "\n## A customer's item and its lots\n\nThe customer's profile item as DynamoDB counts it (names and values), with every field at its longest, as its point lots grow to the most it keeps ({MAX_LOTS}).\n\n| lots | item bytes | write units in a transaction |\n| --- | --- | --- |\n"
    );
    for count in [0, 1, 4, MAX_LOTS] {
        let mut customer = enrollment.clone().apply(None, now).map_err(|e| e.to_string())?.0;
        let lots =
            (0..count).map(|day| Lot { points: 999_999, expires_at: Some(now + time::Duration::days(day as i64 + 1)) });
        customer.lots = Lots::from_lots(lots);
        customer.available_points = customer.lots.total();
        let key = keys::customer(&domain, customer.customer_id);
        let item = tally_store::records::to_item(&CustomerRecord::from(&customer), key)?;
        let bytes = meter::item_bytes(&item);
        out.push_str(&format!("| {count} | {bytes} | {} |\n", 2 * bytes.div_ceil(1024)));
    }
    out.push_str("\nKeys of a 49-character shop domain and the largest customer id. Target: under 1,024 bytes at the most lots, so that a redemption's write units do not grow with them.\n");
    Ok(out)
}

/// The storefront widget's assets, as a shopper's browser downloads them: raw and gzipped (`gzip -9`).
pub(crate) fn widget() -> std::io::Result<String> {
    let mut out = String::from(
        "\n## Storefront widget\n\nThe theme app extension's assets (`shopify/extensions/loyalty/assets/`), loaded by the app block; the script is deferred.\n\n| asset | bytes | gzipped bytes |\n| --- | --- | --- |\n",
    );
    for asset in ["loyalty.js", "loyalty.css"] {
        let path = format!("shopify/extensions/loyalty/assets/{asset}");
        let raw = std::fs::metadata(&path)?.len();
        let gzipped = std::process::Command::new("gzip").args(["-9", "-c", &path]).output()?.stdout.len();
        out.push_str(&format!("| {asset} | {raw} | {gzipped} |\n"));
    }
    out.push_str("\nTarget: the script at most 10 KB (10,240 bytes) gzipped.\n");
    Ok(out)
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "an unknown CPU".into());
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    format!("{cores} cores of {cpu} ({})", std::env::consts::ARCH)
}
