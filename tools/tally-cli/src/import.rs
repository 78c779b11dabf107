//! `tally-cli import`: a live program moved in from Appstle's exports or a CSV, record by record, several at
//! once, with a report of what it took, what was there already, and what it refused and why.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::{Args, ValueEnum};
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use tally_api::import as records;
use tally_app::import::{self, Imported};
use tally_app::ports::store::ShopRecords;
use tally_app::ports::Store;
use tally_config::Deps;
use tally_domain::shop::Shop;

/// Refusals listed in the report; the rest are counted.
const LISTED: usize = 1000;

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(long)]
    shop: String,
    #[arg(long, value_enum)]
    format: Format,
    /// Rules: Appstle's rule objects, one per line (appstle), or a CSV of Tally's rule fields with `id`.
    #[arg(long)]
    rules: Option<PathBuf>,
    /// Customers: Appstle's customer-loyalty objects with `customerId`, `email` and any `phone` and
    /// `externalId` beside them, one per line (appstle); or a CSV with `customerId`, `email`, `phone`,
    /// `externalId`, `vipTier`, `status`, `points` and `expiresAt`, a row per lot.
    #[arg(long)]
    customers: Option<PathBuf>,
    /// Outstanding rewards: not imported yet (their codes keep working in Shopify).
    #[arg(long)]
    rewards: Option<PathBuf>,
    /// Reads and checks everything, writes nothing.
    #[arg(long)]
    dry_run: bool,
    /// Records written at once.
    #[arg(long, default_value_t = 16)]
    concurrency: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Appstle,
    Csv,
}

/// A record of a file, with where it was for the report, or why it could not be read.
type Record = (String, Result<Value, String>);

/// What happened to each kind of record.
#[derive(Debug, Default)]
struct Tally {
    imported: usize,
    already_there: usize,
    refused: usize,
    listed: Vec<Value>,
}

impl Tally {
    fn count(&mut self, record: String, outcome: Result<Imported, String>) {
        let reason = match outcome {
            Ok(Imported::Done) => return self.imported += 1,
            Ok(Imported::AlreadyThere) => return self.already_there += 1,
            Ok(Imported::Refused(refused)) => refused.to_string(),
            Err(reason) => reason,
        };
        self.refused += 1;
        if self.listed.len() < LISTED {
            self.listed.push(json!({"record": record, "reason": reason}));
        }
    }

    fn report(&self) -> Value {
        json!({"imported": self.imported, "alreadyThere": self.already_there, "refused": self.refused,
            "refusals": self.listed})
    }
}

pub async fn run(deps: &Deps, args: ImportArgs) -> Result<ExitCode, String> {
    if args.rewards.is_some() {
        return Err("--rewards: importing outstanding rewards is not built yet; their codes keep working in Shopify, \
                    and the customers and rules import without them"
            .into());
    }
    let domain = tally_domain::shop::ShopDomain::parse(&args.shop).map_err(|e| e.to_string())?;
    let shop = deps.store.shop(&domain).get().await.map_err(|e| e.to_string())?;
    let shop = shop.ok_or_else(|| format!("{domain} is not connected to Tally: connect it first"))?;
    let started = Instant::now();
    let rules = match &args.rules {
        Some(path) => import_rules(deps, &shop, &args, read(path, args.format)?).await,
        None => Tally::default(),
    };
    let customers = match &args.customers {
        Some(path) => import_customers(deps, &shop, &args, read(path, args.format)?).await,
        None => Tally::default(),
    };
    let seconds = started.elapsed().as_secs_f64();
    let handled = (rules.imported + rules.already_there + customers.imported + customers.already_there) as f64;
    let report = json!({"shop": domain.as_str(), "dryRun": args.dry_run, "rules": rules.report(),
        "customers": customers.report(), "seconds": (seconds * 10.0).round() / 10.0,
        "recordsPerSecond": (handled / seconds.max(0.001)).round()});
    println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    Ok(if rules.refused + customers.refused == 0 { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The file's records: JSON objects, one per line (blank lines skipped), or a CSV's rows as objects. Each
/// comes with where it was, for the report.
fn read(path: &PathBuf, format: Format) -> Result<Vec<Record>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    match format {
        Format::Appstle => Ok(text
            .lines()
            .enumerate()
            .filter(|(_, line)| !line.trim().is_empty())
            .map(|(n, line)| (format!("line {}", n + 1), serde_json::from_str(line).map_err(|e| e.to_string())))
            .collect()),
        Format::Csv => {
            let rows = records::csv_objects(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(rows.into_iter().enumerate().map(|(n, row)| (format!("row {}", n + 2), Ok(row))).collect())
        }
    }
}

async fn import_rules(
    deps: &Deps,
    shop: &Shop,
    args: &ImportArgs,
    lines: Vec<Record>,
) -> Tally {
    let mut tally = Tally::default();
    // One at a time: a shop has few rules, and the counter of rule ids is raised by each.
    for (record, line) in lines {
        let outcome = match line.and_then(|object| records::rule(object).map_err(|e| e.to_string())) {
            Ok(rule) => import::rule(deps, shop, rule, args.dry_run).await.map_err(|e| e.to_string()),
            Err(reason) => Err(reason),
        };
        tally.count(record, outcome);
    }
    tally
}

async fn import_customers(
    deps: &Deps,
    shop: &Shop,
    args: &ImportArgs,
    lines: Vec<Record>,
) -> Tally {
    let now = deps.now();
    let customers: Vec<(String, Result<_, String>)> = match args.format {
        Format::Appstle => lines
            .into_iter()
            .map(|(record, line)| {
                let customer = line.and_then(|o| records::appstle_customer(&o, now).map_err(|e| e.to_string()));
                (record, customer)
            })
            .collect(),
        Format::Csv => by_customer(lines)
            .into_iter()
            .map(|(record, rows)| (record, records::csv_customer(&rows, now).map_err(|e| e.to_string())))
            .collect(),
    };
    let outcomes = stream::iter(customers)
        .map(|(record, customer)| async move {
            let outcome = match customer {
                Ok(customer) => import::customer(deps, shop, customer, args.dry_run).await.map_err(|e| e.to_string()),
                Err(reason) => Err(reason),
            };
            (record, outcome)
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect::<Vec<_>>()
        .await;
    let mut tally = Tally::default();
    for (record, outcome) in outcomes {
        tally.count(record, outcome);
    }
    tally
}

/// A CSV's rows grouped by `customerId`, in the order each customer first appears.
fn by_customer(rows: Vec<Record>) -> Vec<(String, Vec<Value>)> {
    let mut groups: Vec<(String, Vec<Value>)> = vec![];
    let mut at: HashMap<String, usize> = HashMap::new();
    for (record, row) in rows {
        let Ok(row) = row else { continue };
        let id = row.get("customerId").map(Value::to_string).unwrap_or_else(|| record.clone());
        match at.get(&id) {
            Some(&index) => groups[index].1.push(row),
            None => {
                at.insert(id.clone(), groups.len());
                groups.push((format!("customer {id}"), vec![row]));
            }
        }
    }
    groups
}
