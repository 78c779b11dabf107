//! `make bench`: one run against DynamoDB Local and the Shopify emulator, written to bench/report.md.

mod meter;
mod runtime;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use tally_shared::config::{dynamodb_client, Config};
use tally_shared::domain::reward::{DeductionMode, Reward};
use tally_shared::domain::rule::Priced;
use tally_shared::domain::rule::RedeemRule;
use tally_shared::domain::shop::Shop;
use tally_shared::shopify::ShopifyTimeouts;
use tally_shared::store::records::from_item;
use tally_shared::store::records::reward::RewardRecord;
use tally_shared::store::{keys, Store};
use tally_shared::Deps;

use meter::{Meter, Usage};

type Error = Box<dyn std::error::Error + Send + Sync>;
type Item = HashMap<String, AttributeValue>;

const KEY: &str = "tly_bench_key";
const DOMAIN: &str = "bench.myshopify.com";
const LEVELS: [usize; 3] = [1, 8, 32];
/// Operations per concurrency level; `BENCH_OPERATIONS` overrides it for a quick run.
const PER_LEVEL: usize = 320;
/// Redemptions whose capacity is metered, to average over.
const METERED: usize = 20;
/// US East (N. Virginia), November 2026: on-demand DynamoDB, arm64 Lambda, HTTP API.
const PRICE_WRITE_UNIT: f64 = 0.625 / 1e6;
const PRICE_READ_UNIT: f64 = 0.125 / 1e6;
const PRICE_LAMBDA_GB_SECOND_ARM: f64 = 0.000_013_333_4;
const PRICE_LAMBDA_REQUEST: f64 = 0.20 / 1e6;
const PRICE_HTTP_API_REQUEST: f64 = 1.00 / 1e6;

struct Bench {
    deps: Arc<Deps>,
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
    reward_expiry: Option<tally_shared::domain::Time>,
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let endpoint = std::env::var("DYNAMODB_ENDPOINT").map_err(|_| "DYNAMODB_ENDPOINT must name DynamoDB Local")?;
    let per_level = std::env::var("BENCH_OPERATIONS").ok().and_then(|n| n.parse().ok()).unwrap_or(PER_LEVEL);
    let fresh: usize = LEVELS.iter().map(|level| level * (per_level / level).max(1)).sum();
    let bench = setup(&endpoint, (fresh + 2 * METERED) as u64).await?;
    // Each redemption is by a customer of its own, with points and no earlier reward, as the floor's
    // calls are on a fresh partition: the loyalty answer lists every reward a customer has.
    let mut next_customer = FIRST_FRESH_CUSTOMER;
    let mut rows = Vec::new();
    for level in LEVELS {
        let (first, per_worker) = (next_customer, (per_level / level).max(1));
        next_customer += (level * per_worker) as u64;
        let customer = |w: usize, i: usize| first + (w * per_worker + i) as u64;
        let redeem = measure(level, per_worker, |w, i| bench.redeem(&bench.api, customer(w, i))).await;
        let floor = measure(level, per_worker, |w, i| bench.floor(w, i)).await;
        let shopify = measure(level, per_worker, |w, i| bench.shopify_alone(w, i)).await;
        rows.push((level, redeem, floor, shopify));
    }
    let capacity = bench.capacity(next_customer, false).await?;
    let keyed = bench.capacity(next_customer + METERED as u64, true).await?;
    // Start-up on a quiet machine: for some seconds after a load (or its own start) DynamoDB Local's JVM
    // keeps a core busy, which on two cores slows every exec.
    tokio::time::sleep(QUIET).await;
    let startups = startups(&endpoint).await?;
    let binaries = binaries(&endpoint, &bench.table, startups).await?;
    let report = report(&rows, &capacity, &keyed, &binaries) + &lots()? + &widget()?;
    std::fs::create_dir_all("bench")?;
    std::fs::write("bench/report.md", &report)?;
    println!("{report}");
    Ok(())
}

/// Customer 1 redeems to warm up and for the function binaries; customers from here on redeem once each.
const FIRST_FRESH_CUSTOMER: u64 = 2;

/// A table, the emulator and two API servers, a shop with a $1 rule, and `fresh` customers with points.
async fn setup(endpoint: &str, fresh: u64) -> Result<Bench, Error> {
    let table = format!("bench-{}", tally_shared::domain::ids::reward_id());
    let raw = dynamodb_client(Some(endpoint))?;
    let store = Store::new(raw.clone(), &table);
    store.create_table().await?;
    let emulator = shopify_emulator::Emulator::new();
    let emulator_url = format!("http://{}", emulator.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?);
    let config = Config {
        table_name: table.clone(),
        dynamodb_endpoint: Some(endpoint.into()),
        shopify: ShopifyTimeouts::default(),
    };
    let deps = Arc::new(Deps::new(&config)?);
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let api = format!("http://{}", local_api::serve(deps.clone(), local).await?);
    let meter = Meter::default();
    let metered = Deps { store: Store::new(meter.client(&raw), &table), ..(*deps).clone() };
    let metered_api = format!("http://{}", local_api::serve(Arc::new(metered), local).await?);
    let http = reqwest::Client::new();
    http.post(format!("{emulator_url}/__emulator/shops"))
        .json(&json!({"domain": DOMAIN, "accessToken": "t"}))
        .send()
        .await?;
    let shop = Shop {
        admin_url: format!("{emulator_url}/shops/{DOMAIN}"),
        ..Shop::new(DOMAIN, tally_shared::domain::shop::Access::StaticToken, tally_shared::app::now())?
    };
    store.create_shop(&shop, &tally_shared::domain::shop::ShopSecrets::new("s", Some("t"))?).await?;
    store.add_api_key(DOMAIN, KEY, tally_shared::app::now()).await?;
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{api}{path}")).header("X-API-Key", KEY).json(&body).send()
    };
    let rule: serde_json::Value = post(
        "/api/external/point-redeem-rules",
        json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT",
        "pointsCost": 1, "discountValue": "1.00", "minimumSubtotal": "10.00", "expiresAfterDays": 30}),
    )
    .await?
    .json()
    .await?;
    let rule = rule["id"].as_u64().ok_or("no rule id")?;
    let enroll = |customer: u64| async move {
        let email = format!("c{customer}@example.com");
        let enrolled = post("/api/external/customers", json!({"customerId": customer, "email": email})).await?;
        let points = json!({"customerId": customer, "points": 1_000_000_000, "reason": "bench"});
        let credited = post("/api/external/add-points", points).await?;
        match (enrolled.status().is_success(), credited.status().is_success()) {
            (true, true) => Ok(()),
            _ => Err(Error::from(format!("customer {customer} was not enrolled with points"))),
        }
    };
    futures::stream::iter(1..FIRST_FRESH_CUSTOMER + fresh).map(enroll).buffer_unordered(8).try_collect::<()>().await?;
    let records = (store.get_shop(DOMAIN).await?.ok_or("no shop")?, store.get_rule(DOMAIN, rule).await?);
    let mut bench = Bench {
        deps,
        raw,
        table,
        api,
        metered_api,
        meter,
        http,
        rule,
        items: HashMap::new(),
        records,
        reward_expiry: None,
    };
    for _ in 0..50 {
        bench.redeem(&bench.api, 1).await;
    }
    bench.items = bench.copy_items().await?;
    bench.reward_expiry = from_item::<RewardRecord>(bench.items["reward"].clone())?.expire_date;
    Ok(bench)
}

impl Bench {
    /// One redemption through the local API server: the handler Lambda runs.
    async fn redeem(&self, api: &str, customer: u64) {
        self.redeem_with_key(api, customer, None).await
    }

    async fn redeem_with_key(&self, api: &str, customer: u64, key: Option<String>) {
        let body = json!({"customerId": customer, "redeemRuleId": self.rule});
        let mut request = self.http.post(format!("{api}/api/external/redeem-points"));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.header("X-API-Key", KEY).json(&body).send().await;
        assert!(response.is_ok_and(|r| r.status() == 200), "a redemption failed");
    }

    /// The items of a real redemption of customer 1, to copy.
    async fn copy_items(&self) -> Result<HashMap<&'static str, Item>, Error> {
        let partition = keys::customer_partition(DOMAIN, 1);
        let page = self
            .raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .send()
            .await?;
        let mut items = HashMap::new();
        for item in page.items.unwrap_or_default() {
            let sk = item.get("SK").and_then(|v| v.as_s().ok()).cloned().unwrap_or_default();
            let name = if sk == keys::PROFILE {
                "profile"
            } else if sk.starts_with(keys::LEDGER_PREFIX) {
                "ledger"
            } else {
                "reward"
            };
            items.insert(name, item);
        }
        let code = from_item::<RewardRecord>(items["reward"].clone())?.discount_code.ok_or("no code")?;
        let (pk, sk) = keys::code(DOMAIN, &code);
        let owner = self
            .raw
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .send()
            .await?;
        items.insert("code", owner.item.ok_or("no code item")?);
        Ok(items)
    }

    /// The DynamoDB calls a redemption makes, bare: the key, the shop, the rule, the customer; the
    /// transaction (customer, ledger, pending reward, code); the reward's update and re-read; the loyalty query.
    async fn floor(&self, worker: usize, i: usize) {
        self.floor_calls(worker, i).await.expect("the floor's calls succeed");
    }

    async fn floor_calls(&self, worker: usize, i: usize) -> Result<(), Error> {
        let customer = keys::customer(DOMAIN, worker as u64 + 1);
        for (pk, sk) in [
            keys::api_key(&tally_shared::domain::ids::hash_api_key(KEY)),
            keys::shop(DOMAIN),
            keys::rule(DOMAIN, self.rule),
            customer,
        ] {
            self.get(pk, sk).await?;
        }
        let partition = format!("FLOOR#{}#{worker}#{i}", tally_shared::domain::ids::reward_id());
        let copy = |name: &str, sk: &str| {
            let mut item = self.items[name].clone();
            item.insert(
                "PK".into(),
                AttributeValue::S(if name == "code" { format!("{partition}#CODE") } else { partition.clone() }),
            );
            item.insert("SK".into(), AttributeValue::S(sk.into()));
            item
        };
        let expire_date = self.reward_expiry.ok_or("the bench rule's rewards expire")?;
        let listing = keys::expiring_listing(DOMAIN, expire_date, 1).1;
        let mut reward = copy("reward", "REWARD#1");
        reward.insert("status".into(), AttributeValue::S("PENDING".into()));
        reward.insert("GSI1PK".into(), AttributeValue::S(format!("SHOP#{DOMAIN}")));
        reward.insert("GSI1SK".into(), AttributeValue::S(format!("PENDING#{partition}")));
        let puts =
            [copy("profile", keys::PROFILE), copy("ledger", "LEDGER#000000000001"), reward, copy("code", "CODE")];
        let items = puts
            .into_iter()
            .map(|item| {
                let put = Put::builder()
                    .table_name(&self.table)
                    .set_item(Some(item))
                    .condition_expression("attribute_not_exists(PK)")
                    .build();
                put.map(|put| TransactWriteItem::builder().put(put).build())
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.raw.transact_write_items().set_transact_items(Some(items)).send().await?;
        self.raw
            .update_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(partition.clone()))
            .key("SK", AttributeValue::S("REWARD#1".into()))
            .condition_expression("#status IN (:pending)")
            .update_expression("SET #status = :unused, discountCodeId = :id, usedAt = :null, GSI1SK = :listing")
            .expression_attribute_names("#status", "status")
            .expression_attribute_values(":pending", AttributeValue::S("PENDING".into()))
            .expression_attribute_values(":unused", AttributeValue::S("UNUSED".into()))
            .expression_attribute_values(":id", AttributeValue::S("gid://shopify/DiscountCodeNode/1".into()))
            .expression_attribute_values(":null", AttributeValue::Null(true))
            .expression_attribute_values(":listing", AttributeValue::S(listing))
            .send()
            .await?;
        self.get(partition.clone(), "REWARD#1".into()).await?;
        self.raw
            .query()
            .table_name(&self.table)
            .key_condition_expression("PK = :pk AND SK >= :profile")
            .expression_attribute_values(":pk", AttributeValue::S(partition))
            .expression_attribute_values(":profile", AttributeValue::S(keys::PROFILE.into()))
            .consistent_read(true)
            .send()
            .await?;
        Ok(())
    }

    async fn get(&self, pk: String, sk: String) -> Result<aws_sdk_dynamodb::operation::get_item::GetItemOutput, Error> {
        Ok(self
            .raw
            .get_item()
            .table_name(&self.table)
            .key("PK", AttributeValue::S(pk))
            .key("SK", AttributeValue::S(sk))
            .consistent_read(true)
            .send()
            .await?)
    }

    /// The Shopify call of a redemption alone: one discount created, for a reward built beforehand.
    async fn shopify_alone(&self, worker: usize, _: usize) {
        let (shop, rule) = &self.records;
        let (priced, now) = (Priced::at_cost(rule), tally_shared::app::now());
        let reward = Reward::pending(shop, worker as u64 + 1, rule, &priced, None, DeductionMode::Immediate, now);
        let discount = tally_shared::shopify::discount_input(&reward, rule).expect("a discount");
        let shopify = tally_shared::app::access::shopify(&self.deps, shop);
        shopify.create_discount(&discount).await.expect("the discount is created");
    }

    /// What one redemption of the real code consumes, by operation, as DynamoDB reports it: the average of
    /// `METERED` redemptions through the metered API server.
    async fn capacity(&self, first_customer: u64, with_key: bool) -> Result<BTreeMap<&'static str, Usage>, Error> {
        self.meter.take();
        for customer in first_customer..first_customer + METERED as u64 {
            let key = with_key.then(|| format!("bench-{customer}"));
            self.redeem_with_key(&self.metered_api, customer, key).await;
        }
        let n = METERED as f64;
        Ok(self
            .meter
            .take()
            .into_iter()
            .map(|(op, u)| {
                let average = Usage {
                    calls: u.calls / n,
                    reads: u.reads / n,
                    writes: u.writes / n,
                    index_writes: u.index_writes / n,
                };
                (op, average)
            })
            .collect())
    }
}

/// Latencies and throughput of `level` concurrent workers running `per_worker` operations each.
struct Figures {
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

const QUIET: Duration = Duration::from_secs(10);

/// Each function's start-up to its first request for work (the median of 5); it reads no table.
async fn startups(endpoint: &str) -> Result<Vec<Duration>, Error> {
    let env = [("TABLE_NAME", "unused".to_string()), ("DYNAMODB_ENDPOINT", endpoint.to_string())];
    let mut medians = Vec::new();
    for name in FUNCTIONS {
        let mut startups = Vec::new();
        for _ in 0..5 {
            startups.push(runtime::start(&binary(name)?, &env, "{}", 0).await?.startup);
        }
        startups.sort();
        medians.push(startups[2]);
    }
    Ok(medians)
}

/// Each function's release binary: stripped size, start-up, and (for redeem-points) peak memory while
/// serving 200 redemptions.
async fn binaries(
    endpoint: &str,
    table: &str,
    startups: Vec<Duration>,
) -> Result<Vec<(String, u64, Duration, Option<u64>)>, Error> {
    let env = [("TABLE_NAME", table.to_string()), ("DYNAMODB_ENDPOINT", endpoint.to_string())];
    let redeem_event = std::fs::read_to_string("events/redeem-points.json")?
        .replace("tly_demo_local_development_key", KEY)
        .replace("\\\"customerId\\\": 1001", "\\\"customerId\\\": 1");
    let mut rows = Vec::new();
    for (name, startup) in FUNCTIONS.iter().zip(startups) {
        let binary = binary(name)?;
        let size = std::fs::metadata(&binary)?.len();
        let peak = if *name == "redeem-points" {
            runtime::start(&binary, &env, &redeem_event, 200).await?.peak_rss_kib
        } else {
            None
        };
        rows.push((name.to_string(), size, startup, peak));
    }
    Ok(rows)
}

/// A function's release binary, beside the benchmark's own.
fn binary(name: &str) -> Result<std::path::PathBuf, Error> {
    let binary = std::env::current_exe()?.parent().ok_or("no folder")?.join(name);
    match binary.exists() {
        true => Ok(binary),
        false => Err(format!("{}: not found; run cargo build --release", binary.display()).into()),
    }
}

const FUNCTIONS: &[&str] = &[
    "redeem-points",
    "list-redeem-rules",
    "create-redeem-rule",
    "update-redeem-rule",
    "delete-redeem-rule",
    "customer-loyalty",
    "enroll-customer",
    "add-points",
    "remove-points",
    "refund-reward",
    "shopify-webhooks",
    "reconcile",
    "expire",
];

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn report(
    rows: &[(usize, Figures, Figures, Figures)],
    capacity: &BTreeMap<&'static str, Usage>,
    keyed: &BTreeMap<&'static str, Usage>,
    binaries: &[(String, u64, Duration, Option<u64>)],
) -> String {
    let now = tally_shared::store::records::rfc3339(tally_shared::app::now());
    let machine = machine();
    let mut out = format!("# Tally benchmark report\n\nRun {now} on {machine}, against DynamoDB Local (in memory) and the Shopify emulator, release build, debug logging off. One run; figures, not assertions.\n\n");
    out.push_str("## Redemption against its floor\n\nA redemption is `POST /api/external/redeem-points` through the local API server (the handler Lambda runs) for a $1 code; each worker redeems for its own customer. The floor is, in the same run, the DynamoDB calls a redemption must make (four reads, the four-item transaction, the reward's update and re-read, the loyalty query) issued bare through the SDK on same-sized items, plus the Shopify call alone (one `discountCodeBasicCreate`), measured separately. Ratio = redemption p50 / (DynamoDB floor p50 + Shopify p50).\n\n");
    out.push_str("| concurrency | redemption p50 ms | p99 ms | redemptions/s | DynamoDB floor p50 ms | p99 ms | Shopify alone p50 ms | p99 ms | ratio at p50 |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for (level, redeem, floor, shopify) in rows {
        let ratio = redeem.p50.as_secs_f64() / (floor.p50 + shopify.p50).as_secs_f64();
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
    let p50 = rows.first().map(|r| r.1.p50).unwrap_or_default();
    let billed_ms = (p50.as_secs_f64() * 1000.0).ceil();
    let lambda = billed_ms / 1000.0 * 0.125 * PRICE_LAMBDA_GB_SECOND_ARM + PRICE_LAMBDA_REQUEST;
    let total = |usage: &BTreeMap<&'static str, Usage>| -> (f64, f64, f64) {
        let (reads, writes) = usage.values().fold((0.0, 0.0), |(r, w), u| (r + u.reads, w + u.writes));
        (reads, writes, (reads * PRICE_READ_UNIT + writes * PRICE_WRITE_UNIT) * 1e6)
    };
    let (reads, writes, dynamodb) = total(capacity);
    let (keyed_reads, keyed_writes, keyed_dynamodb) = total(keyed);
    out.push_str(&format!(
        "\n## Capacity and cost\n\nThe redemption code itself, run {METERED} times without and {METERED} times with an `Idempotency-Key`, through a DynamoDB client that adds `ReturnConsumedCapacity: INDEXES` to each call and adds up what DynamoDB Local reports, except for the transaction: DynamoDB Local's figure for a transaction does not follow DynamoDB's rules (it reports 4 units for one 300-byte put, and 4 for two), so the transaction is counted from its request by those rules, two write units per KB of each item and one per KB of each index entry. Per immediate redemption: **{reads:.1} read units and {writes:.1} write units** without a key, {keyed_reads:.1} and {keyed_writes:.1} with one (the key's record is claimed inside the transaction and the response stored in it afterwards).\n\n| operation | calls | read units | write units | of which index writes | with a key: calls | read units | write units |\n| --- | --- | --- | --- | --- | --- | --- | --- |\n"
    ));
    let operations: std::collections::BTreeSet<_> = capacity.keys().chain(keyed.keys()).collect();
    for operation in operations {
        let Usage { calls, reads, writes, index_writes } = capacity.get(operation).copied().unwrap_or_default();
        let with_key = keyed.get(operation).copied().unwrap_or_default();
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
    out.push_str("\n## Function binaries\n\nRelease build for this machine's architecture (`cargo build --release`: `opt-level = \"z\"`, fat LTO, one codegen unit, `panic = \"abort\"`, stripped); `cargo lambda build --release --arm64` makes the arm64 ones. Start-up is from exec to the binary's first request for work to a local Lambda Runtime API (median of 5, measured after the load and a 10-second pause), with configuration read and clients built. Peak memory is `VmHWM` after serving 200 redemptions.\n\n| function | stripped size MB (10^6 bytes) | start-up ms | peak resident MiB |\n| --- | --- | --- | --- |\n");
    for (name, size, startup, peak) in binaries {
        let peak = peak.map(|kib| format!("{:.1}", kib as f64 / 1024.0)).unwrap_or_else(|| "-".into());
        out.push_str(&format!("| {name} | {:.2} | {} | {peak} |\n", *size as f64 / 1e6, ms(*startup)));
    }
    out.push_str("\nTargets: redemption within 1.25x of its floor at p50; at most 10 write units per immediate redemption; start-up under 15 ms; bootstrap under 6 MB; under 40 MB resident.\n");
    out
}

/// The customer's item as its lots grow, against the 1 KB a write unit covers (the transaction of a
/// redemption writes it at two units a KB).
fn lots() -> Result<String, Error> {
    use tally_shared::domain::customer::{Customer, Enrollment};
    use tally_shared::domain::lots::{Lot, Lots, MAX_LOTS};
    use tally_shared::store::records::customer::CustomerRecord;
    let enrollment = Enrollment {
        customer_id: 9_007_199_254_740_991,
        email: "a.long.customer.address@example-shop-domain.com".into(),
        phone: Some("+441234567890".into()),
        external_id: Some("POS-0000000000000000000000000000000000000000000000000000000000001".into()),
        vip_tier: Some("Platinum".into()),
    };
    let now = tally_shared::app::now();
    let mut out = format!(
        "\n## A customer's item and its lots\n\nThe customer's profile item as DynamoDB counts it (names and values), with every field at its longest, as its point lots grow to the most it keeps ({MAX_LOTS}).\n\n| lots | item bytes | write units in a transaction |\n| --- | --- | --- |\n"
    );
    for count in [0, 1, 4, MAX_LOTS] {
        let mut customer = Customer::enrolled(enrollment.clone(), now);
        let lots =
            (0..count).map(|day| Lot { points: 999_999, expires_at: Some(now + time::Duration::days(day as i64 + 1)) });
        customer.lots = Lots::from_lots(lots);
        customer.available_points = customer.lots.total();
        let key = keys::customer("a-rather-long-shop-name-for-a-test.myshopify.com", customer.customer_id);
        let item = tally_shared::store::records::to_item(&CustomerRecord::from(&customer), key)?;
        let bytes = meter::item_bytes(&item);
        out.push_str(&format!("| {count} | {bytes} | {} |\n", 2 * bytes.div_ceil(1024)));
    }
    out.push_str("\nKeys of a 49-character shop domain and the largest customer id. Target: under 1,024 bytes at the most lots, so that a redemption's write units do not grow with them.\n");
    Ok(out)
}

/// The storefront widget's assets, as a shopper's browser downloads them: raw and gzipped (`gzip -9`).
fn widget() -> std::io::Result<String> {
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
