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
    /// Writes every refused record there, one JSON object per line (the report names the first 1,000).
    #[arg(long)]
    refusals: Option<PathBuf>,
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
    /// Records the store could not take this time (throttled, busy): run the import again.
    failed: usize,
    listed: Vec<Value>,
    every: Vec<Value>,
}

impl Tally {
    fn count(&mut self, record: String, outcome: Outcome) {
        let reason = match outcome {
            Outcome::Imported(Imported::Done) => return self.imported += 1,
            Outcome::Imported(Imported::AlreadyThere) => return self.already_there += 1,
            Outcome::Imported(Imported::Refused(refused)) => refused.to_string(),
            Outcome::Unreadable(reason) => reason,
            Outcome::Failed => return self.failed += 1,
        };
        self.refused += 1;
        let refusal = json!({"record": record, "reason": reason});
        if self.listed.len() < LISTED {
            self.listed.push(refusal.clone());
        }
        self.every.push(refusal);
    }

    fn report(&self) -> Value {
        json!({"imported": self.imported, "alreadyThere": self.already_there, "refused": self.refused,
            "failed": self.failed, "refusals": self.listed})
    }
}

/// What became of one record.
enum Outcome {
    Imported(Imported),
    /// The record says what Tally cannot take, in the parser's words.
    Unreadable(String),
    /// The store did not take it this time.
    Failed,
}

impl From<Result<Imported, tally_app::error::Unavailable>> for Outcome {
    fn from(result: Result<Imported, tally_app::error::Unavailable>) -> Self {
        result.map_or(Outcome::Failed, Outcome::Imported)
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
    if let Some(path) = &args.refusals {
        let lines: Vec<String> = rules.every.iter().chain(&customers.every).map(Value::to_string).collect();
        std::fs::write(path, lines.join("\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let handled = (rules.imported + rules.already_there + customers.imported + customers.already_there) as f64;
    let report = json!({"shop": domain.as_str(), "dryRun": args.dry_run, "rules": rules.report(),
        "customers": customers.report(), "seconds": (seconds * 10.0).round() / 10.0,
        "recordsPerSecond": (handled / seconds.max(0.001)).round()});
    println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    if rules.failed + customers.failed > 0 {
        eprintln!("tally-cli: some records could not be written this time (the store was busy): run the import again");
    }
    let clean = rules.refused + customers.refused + rules.failed + customers.failed == 0;
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
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

async fn import_rules(deps: &Deps, shop: &Shop, args: &ImportArgs, lines: Vec<Record>) -> Tally {
    let mut tally = Tally::default();
    let mut ids = std::collections::HashSet::new();
    // One at a time: a shop has few rules, and the counter of rule ids is raised by each.
    for (record, line) in lines {
        let object = line.map(|o| if args.format == Format::Csv { records::csv_rule(o) } else { o });
        let outcome = match object.and_then(|object| records::rule(object).map_err(|e| e.to_string())) {
            Ok(rule) if !ids.insert(rule.id) => Outcome::Unreadable(format!("rule {} is in the file already", rule.id)),
            Ok(rule) => import::rule(deps, shop, rule, args.dry_run).await.into(),
            Err(reason) => Outcome::Unreadable(reason),
        };
        tally.count(record, outcome);
    }
    tally
}

async fn import_customers(deps: &Deps, shop: &Shop, args: &ImportArgs, lines: Vec<Record>) -> Tally {
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
    // A customer, or an identifier, the file gave already is refused here, so that the first in the file
    // is the one imported (and a dry run says so too).
    let mut seen = HashMap::new();
    let customers = customers.into_iter().map(|(record, customer)| {
        let customer = customer.and_then(|customer| {
            let ids = customer.enrollment.identities().into_iter().map(|i| format!("{i:?}"));
            for key in std::iter::once(format!("customer {}", customer.enrollment.customer_id)).chain(ids) {
                let first = seen.entry(key).or_insert_with(|| record.clone());
                if *first != record {
                    return Err(format!("the same customer or identifier as {first}"));
                }
            }
            Ok(customer)
        });
        (record, customer)
    });
    let customers: Vec<_> = customers.collect();
    let outcomes = stream::iter(customers)
        .map(|(record, customer)| async move {
            let outcome = match customer {
                Ok(customer) => import::customer(deps, shop, customer, args.dry_run).await.into(),
                Err(reason) => Outcome::Unreadable(reason),
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
        let id = match row.get("customerId") {
            Some(Value::String(text)) => text.trim().to_string(),
            Some(other) => other.to_string(),
            None => record.clone(),
        };
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
