//! `tally-cli import`: a live program moved in from Appstle's exports or a CSV, record by record, several at
//! once, with a report of what it took, what was there already, and what it refused and why.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader};
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
use tally_domain::ids::CustomerId;
use tally_domain::reward::RewardImport;
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
    /// Unused rewards whose codes exist in Shopify: Appstle's reward objects with the customer's
    /// `customerId` beside, one per line (appstle); or a CSV with `customerId`, `discountCode`,
    /// `pointRedeemRuleId`, `discountType`, `discountValue`, `pointsRedeemed`, `status`, `createAt`,
    /// `expireDate` and `description`. Imported after the customers.
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
    /// Records the store or Shopify could not take this time (throttled, busy): run the import again.
    failed: usize,
    listed: Vec<Value>,
    every: Vec<Value>,
    /// The first records that failed, and why.
    failures: Vec<Value>,
}

impl Tally {
    fn count(&mut self, record: String, outcome: Outcome) {
        let reason = match outcome {
            Outcome::Imported(Imported::Done) => return self.imported += 1,
            Outcome::Imported(Imported::AlreadyThere) => return self.already_there += 1,
            Outcome::Imported(Imported::Refused(refused)) => refused.to_string(),
            Outcome::Unreadable(reason) => reason,
            Outcome::Failed(reason) => {
                self.failed += 1;
                if self.failures.len() < LISTED {
                    self.failures.push(json!({"record": record, "reason": reason}));
                }
                return;
            }
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
            "failed": self.failed, "refusals": self.listed, "failures": self.failures})
    }
}

/// What became of one record.
enum Outcome {
    Imported(Imported),
    /// The record says what Tally cannot take, in the parser's words.
    Unreadable(String),
    /// The store or Shopify did not take it this time, and why.
    Failed(String),
}

impl From<Result<Imported, tally_app::error::Unavailable>> for Outcome {
    fn from(result: Result<Imported, tally_app::error::Unavailable>) -> Self {
        result.map_or_else(|e| Outcome::Failed(e.to_string()), Outcome::Imported)
    }
}

pub async fn run(deps: &Deps, args: ImportArgs) -> Result<ExitCode, String> {
    let domain = tally_domain::shop::ShopDomain::parse(&args.shop).map_err(|e| e.to_string())?;
    let shop = deps.store.shop(&domain).get().await.map_err(|e| e.to_string())?;
    let shop = shop.ok_or_else(|| format!("{domain} is not connected to Tally: connect it first"))?;
    let started = Instant::now();
    let rules = match &args.rules {
        Some(path) => import_rules(deps, &shop, &args, read(path, args.format)?.collect()).await,
        None => Tally::default(),
    };
    let (customers, coming) = match &args.customers {
        Some(path) => import_customers(deps, &shop, &args, read(path, args.format)?).await,
        None => Default::default(),
    };
    let rewards = match &args.rewards {
        Some(path) => import_rewards(deps, &shop, &args, read(path, args.format)?, &coming).await,
        None => Tally::default(),
    };
    let all = [&rules, &customers, &rewards];
    if let Some(path) = &args.refusals {
        let lines: Vec<String> = all.iter().flat_map(|t| &t.every).map(Value::to_string).collect();
        std::fs::write(path, lines.join("\n")).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let handled = all.iter().map(|t| t.imported + t.already_there).sum::<usize>() as f64;
    let report = json!({"shop": domain.as_str(), "dryRun": args.dry_run, "rules": rules.report(),
        "customers": customers.report(), "rewards": rewards.report(), "seconds": (seconds * 10.0).round() / 10.0,
        "recordsPerSecond": (handled / seconds.max(0.001)).round()});
    println!("{}", serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?);
    if all.iter().any(|t| t.failed > 0) {
        eprintln!("tally-cli: some records could not be written this time (the store or Shopify was busy): run the import again");
    }
    let clean = all.iter().all(|t| t.refused + t.failed == 0);
    Ok(if clean { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

/// The file's records, read as they are needed (a file of any size is held a record at a time): JSON
/// objects, one per line (blank lines skipped), or a CSV's rows as objects of its header's names. Each comes
/// with where it was, for the report.
fn read(path: &PathBuf, format: Format) -> Result<Box<dyn Iterator<Item = Record>>, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = BufReader::new(file).lines().enumerate();
    match format {
        Format::Appstle => Ok(Box::new(lines.filter_map(|(n, line)| {
            let record = format!("line {}", n + 1);
            match line {
                Ok(line) if line.trim().is_empty() => None,
                Ok(line) => Some((record, serde_json::from_str(&line).map_err(|e| e.to_string()))),
                Err(e) => Some((record, Err(e.to_string()))),
            }
        }))),
        Format::Csv => {
            let header = match lines.next() {
                Some((_, Ok(header))) => header,
                Some((_, Err(e))) => return Err(format!("{}: {e}", path.display())),
                None => String::new(),
            };
            Ok(Box::new(CsvRows { header, lines }))
        }
    }
}

/// The most lines one CSV row may span.
const MAX_ROW_LINES: usize = 20;

/// A CSV's rows, each read once its quoted cells are closed (a quoted cell may hold line breaks).
struct CsvRows<L> {
    header: String,
    lines: L,
}

impl<L: Iterator<Item = (usize, std::io::Result<String>)>> Iterator for CsvRows<L> {
    type Item = Record;

    fn next(&mut self) -> Option<Record> {
        loop {
            let (n, first) = self.lines.next()?;
            let record = format!("row {}", n + 1);
            let mut row = match first {
                Ok(row) => row,
                Err(e) => return Some((record, Err(e.to_string()))),
            };
            // An odd number of quotes so far: a quoted cell goes on to the next line (a few lines at most, so
            // that a stray quote cannot take the rest of the file into one row).
            let mut quotes = row.matches('"').count();
            for _ in 0..MAX_ROW_LINES {
                if quotes % 2 == 0 {
                    break;
                }
                match self.lines.next() {
                    Some((_, Ok(more))) => {
                        quotes += more.matches('"').count();
                        row = format!("{row}\n{more}");
                    }
                    _ => break,
                }
            }
            match records::csv_objects(&format!("{}\n{row}", self.header)) {
                Ok(mut objects) if !objects.is_empty() => return Some((record, Ok(objects.remove(0)))),
                Ok(_) => continue,
                Err(e) => return Some((record, Err(e.to_string()))),
            }
        }
    }
}

async fn import_rules(deps: &Deps, shop: &Shop, args: &ImportArgs, lines: Vec<Record>) -> Tally {
    let mut tally = Tally::default();
    let mut ids = HashSet::new();
    let read = lines.into_iter().map(|(record, line)| {
        let object = line.map(|o| if args.format == Format::Csv { records::csv_rule(o) } else { o });
        (record, object.and_then(|object| records::rule(object).map_err(|e| e.to_string())))
    });
    // Rules under their own ids first, then those whose text ids take the next ids, so that none takes an
    // id a rule of the file keeps.
    let (mut rules, aliased): (Vec<_>, Vec<_>) =
        read.partition(|(_, rule)| rule.as_ref().map_or(true, |rule| rule.alias.is_none()));
    rules.extend(aliased);
    // One at a time: a shop has few rules, and the counter of rule ids is raised by each.
    for (record, rule) in rules {
        let outcome = match rule {
            Ok(rule) if !ids.insert(rule_name(&rule)) => {
                Outcome::Unreadable(format!("rule {} is in the file already", rule_name(&rule)))
            }
            Ok(rule) => import::rule(deps, shop, rule, args.dry_run).await.into(),
            Err(reason) => Outcome::Unreadable(reason),
        };
        tally.count(record, outcome);
    }
    tally
}

/// A rule's id in the file: its alias, or its number.
fn rule_name(imported: &import::ImportedRule) -> String {
    imported.alias.as_ref().map_or_else(|| imported.rule.id.to_string(), ToString::to_string)
}

/// Imports the customers; gives, for a dry run, the ids of those it would import (for their rewards).
async fn import_customers(
    deps: &Deps,
    shop: &Shop,
    args: &ImportArgs,
    file: impl Iterator<Item = Record>,
) -> (Tally, HashSet<CustomerId>) {
    let now = deps.now();
    let customers: Box<dyn Iterator<Item = (String, Result<_, String>)>> = match args.format {
        Format::Appstle => Box::new(file.map(move |(record, line)| {
            let customer = line.and_then(|o| records::appstle_customer(&o, now).map_err(|e| e.to_string()));
            (record, customer)
        })),
        Format::Csv => Box::new(ByCustomer { rows: file.peekable() }.map(move |(record, rows)| {
            let customer = rows.and_then(|rows| records::csv_customer(&rows, now).map_err(|e| e.to_string()));
            (record, customer)
        })),
    };
    // A customer, or an identifier, the file gave already is refused here, so that the first in the file
    // is the one imported (and a dry run says so too). What is kept is a line per customer, not the file.
    let mut seen = HashMap::new();
    let customers = customers.map(move |(record, customer)| {
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
    let coming = std::sync::Mutex::new(HashSet::new());
    let tally = each(customers, args.concurrency, async |customer: import::ImportedCustomer| {
        let id = customer.enrollment.customer_id;
        let outcome = import::customer(deps, shop, customer, args.dry_run).await;
        if args.dry_run && matches!(outcome, Ok(Imported::Done)) {
            coming.lock().map(|mut coming| coming.insert(id)).unwrap_or_default();
        }
        outcome
    })
    .await;
    (tally, coming.into_inner().unwrap_or_default())
}

/// Imports each record that could be read, `concurrency` at once, and tallies what became of each.
async fn each<T>(
    records: impl Iterator<Item = (String, Result<T, String>)>,
    concurrency: usize,
    import: impl AsyncFn(T) -> Result<Imported, tally_app::error::Unavailable>,
) -> Tally {
    let import = &import;
    stream::iter(records)
        .map(|(record, read)| async move {
            let outcome = match read {
                Ok(read) => import(read).await.into(),
                Err(reason) => Outcome::Unreadable(reason),
            };
            (record, outcome)
        })
        .buffer_unordered(concurrency.max(1))
        .fold(Tally::default(), |mut tally, (record, outcome)| async move {
            tally.count(record, outcome);
            tally
        })
        .await
}

/// Imports the unused rewards; in a dry run, the customers `coming` count as there.
async fn import_rewards(
    deps: &Deps,
    shop: &Shop,
    args: &ImportArgs,
    file: impl Iterator<Item = Record>,
    coming: &HashSet<CustomerId>,
) -> Tally {
    let now = deps.now();
    let csv = args.format == Format::Csv;
    // A code the file gave already is refused here, so that the first in the file is the one imported.
    let mut seen = HashMap::new();
    let rewards = file.map(move |(record, object)| {
        let reward = object
            .and_then(|o| if csv { records::csv_reward(o).map_err(|e| e.to_string()) } else { Ok(o) })
            .and_then(|o| records::reward(&o, now).map_err(|e| e.to_string()))
            .and_then(|reward| {
                let first = seen.entry(reward.code.trim().to_uppercase()).or_insert_with(|| record.clone());
                match *first == record {
                    true => Ok(reward),
                    false => Err(format!("the same code as {first}")),
                }
            });
        (record, reward)
    });
    each(rewards, args.concurrency, async |reward: RewardImport| {
        let in_this_run = coming.contains(&reward.customer_id);
        import::reward(deps, shop, reward, args.dry_run, in_this_run).await
    })
    .await
}

/// A CSV's rows grouped by `customerId`: a customer's rows follow one another (a customer whose rows come
/// again later is refused there as a repeat).
struct ByCustomer<I: Iterator<Item = Record>> {
    rows: std::iter::Peekable<I>,
}

fn customer_id(row: &Result<Value, String>) -> Option<String> {
    match row.as_ref().ok()?.get("customerId")? {
        Value::String(text) => Some(text.trim().to_string()),
        other => Some(other.to_string()),
    }
}

impl<I: Iterator<Item = Record>> Iterator for ByCustomer<I> {
    type Item = (String, Result<Vec<Value>, String>);

    fn next(&mut self) -> Option<Self::Item> {
        let (record, first) = self.rows.next()?;
        let Some(id) = customer_id(&first) else {
            return Some((record, first.map(|row| vec![row])));
        };
        let mut rows = vec![first];
        while self.rows.peek().is_some_and(|(_, next)| customer_id(next).as_ref() == Some(&id)) {
            rows.extend(self.rows.next().map(|(_, row)| row));
        }
        Some((format!("customer {id}"), rows.into_iter().collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(text: &str) -> Vec<Record> {
        let lines = text.lines().map(|l| Ok(l.to_string())).enumerate().skip(1);
        CsvRows { header: text.lines().next().unwrap_or_default().to_string(), lines }.collect()
    }

    #[test]
    fn a_csv_row_may_span_lines_and_a_stray_quote_takes_a_few_at_most() {
        let read = rows("customerId,note\n1,\"two\nlines\"\n\n2,plain\n");
        let read: Vec<_> = read.into_iter().map(|(record, row)| (record, row.unwrap())).collect();
        assert_eq!(
            read,
            vec![
                ("row 2".to_string(), json!({"customerId": "1", "note": "two\nlines"})),
                ("row 5".to_string(), json!({"customerId": "2", "note": "plain"})),
            ]
        );
        let stray = format!("customerId,note\n1,\"open\n{}3,after\n", "x\n".repeat(40));
        let read = rows(&stray);
        assert!(read[0].1.as_ref().is_err_and(|e| e.contains("inside a quoted cell")), "{read:?}");
        assert!(read.iter().any(|(_, row)| row.as_ref().is_ok_and(|r| r["customerId"] == "3")), "the rest is read");
    }

    #[test]
    fn a_customer_s_consecutive_rows_are_one_record() {
        let file = rows("customerId,points\n1,5\n1,6\n2,7\n1,8\n");
        let grouped: Vec<_> =
            ByCustomer { rows: file.into_iter().peekable() }.map(|(r, rows)| (r, rows.unwrap().len())).collect();
        assert_eq!(grouped, vec![("customer 1".into(), 2), ("customer 2".into(), 1), ("customer 1".into(), 1)]);
    }
}
