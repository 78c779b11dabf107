//! Tally's seeded simulation. One seed draws a schedule of operations (`schedule`) over two shops and
//! their customers: redemptions of every type, immediate and delayed; refunds; orders, cancellations and
//! refunds whose webhooks arrive late, twice and out of order; points added and removed, with and without
//! expiry; the expire and reconcile jobs; retries under one key; Shopify failing; the store failing; the
//! process dying at a chosen call. Time is simulated. After every step the invariants are checked
//! (`checks`).
//!
//! It runs over the in-memory fakes (`over_fakes`), and in lockstep over the fakes and over DynamoDB Local
//! with the Shopify emulator (`lockstep`), where every step's outcome and, every few steps, everything
//! held must be the same on both. A failing schedule is shrunk over the fakes (`shrink`).

pub mod book;
pub mod checks;
pub mod run;
pub mod schedule;
pub mod shopify;
pub mod shrink;
pub mod snapshot;
pub mod trouble;
pub mod world;

#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::time::Duration;

use tally_app::fakes::{FakeShopify, FakeStore};
use tally_app::ports::{Shopify, Store};
use tally_shopify::{ShopifyHttp, ShopifyTimeouts};
use tally_store::{DynamoStore, Stream};

use book::Book;
use schedule::{Op, Step};
use shopify::{Emulator, ShopifyWorld};
use world::{FakeLeg, Leg};

/// A step of a schedule with its place in the whole one (keys and picks are named after it).
pub type Numbered = (usize, Step);

/// What went wrong, and at which step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub step: usize,
    pub what: String,
}

/// What a run did: each step's outcome, and how often each check that holds only after some steps ran.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Run {
    pub outcomes: Vec<String>,
    pub checked: std::collections::BTreeMap<&'static str, usize>,
}

impl Run {
    fn checked(&mut self, check: &'static str) {
        *self.checked.entry(check).or_default() += 1;
    }
}

/// Every `SNAPSHOT_EVERY` steps, and at the end, the lockstep compares everything the legs hold.
pub const SNAPSHOT_EVERY: usize = 25;

/// The steps of `seed`'s schedule of `ops`, numbered.
pub fn numbered(seed: u64, ops: usize) -> Vec<Numbered> {
    schedule::schedule(seed, ops).into_iter().enumerate().collect()
}

/// Runs `steps` over the fakes, checking every step.
pub async fn over_fakes(seed: u64, steps: &[Numbered]) -> Result<Run, Violation> {
    let leg = fake_leg(seed).await;
    let mut book = Book::default();
    let mut run = Run::default();
    for (n, step) in steps {
        let outcome = Box::pin(checked_step(&leg, &mut book, &mut run, *n, step)).await?;
        run.outcomes.push(outcome);
    }
    Ok(run)
}

async fn fake_leg(seed: u64) -> FakeLeg {
    let shopify = FakeShopify::new();
    Leg::new(seed, FakeStore::new(), shopify.clone(), shopify).await
}

/// One step on the fake leg, and the checks after it.
async fn checked_step(
    leg: &FakeLeg,
    book: &mut Book,
    run: &mut Run,
    n: usize,
    step: &Step,
) -> Result<String, Violation> {
    let violation = |what: String| Violation { step: n, what };
    let before = match step.op {
        Op::RedeemThenRefund { shop, customer, .. } => Some(leg.customer(shop.into(), customer).await),
        _ => None,
    };
    let outcome = Box::pin(leg.step(book, n, step)).await;
    if std::env::var_os("SIM_TRACE").is_some() {
        eprintln!("{n}: {step:?} -> {outcome}");
    }
    if outcome.contains("ANOTHER REWARD") {
        return Err(violation(format!("a key answered with two rewards: {outcome}")));
    }
    if outcome.contains("SERVER ERROR") {
        return Err(violation(format!("a client would see a server error: {outcome}")));
    }
    let snapshot = leg.snapshot().await;
    let mut problems = checks::always(&snapshot, book);
    // Whatever the trouble, a run that reports it did everything (after a crash, the run that followed).
    let report = outcome.rsplit("then ").next().unwrap_or(&outcome);
    let done = ["errors: 0,", "unfinished: 0,", "skipped: 0 ", "put_off: 0,", "shopify_failing: 0,"];
    let done = done.iter().all(|part| report.contains(part));
    let clean = done && (!report.contains("still_pending: ") || report.contains("still_pending: 0,"));
    match step.op {
        Op::Reconcile if clean => {
            run.checked("after reconcile");
            problems.extend(checks::after_reconcile(&snapshot))
        }
        Op::Expire if clean => {
            run.checked("after expire");
            problems.extend(checks::after_expire(&snapshot))
        }
        _ => {}
    }
    let untroubled = !leg.plan.fired() && !matches!(step.trouble, Some(schedule::Trouble::Shopify(_)));
    if let (Op::RedeemThenRefund { shop, customer, .. }, Some(before), true) = (step.op, &before, untroubled) {
        if outcome.matches("REFUNDED").count() == 1 && outcome.contains("; 200") {
            run.checked("redemption and refund");
            let after = leg.customer(shop.into(), customer).await;
            problems.extend(checks::restored(before, &after, snapshot.at));
        }
    }
    match problems.is_empty() {
        true => Ok(outcome),
        false => Err(violation(format!("after {outcome:?}: {}", problems.join("; ")))),
    }
}

/// Runs `steps` over the fakes and over DynamoDB Local (at `endpoint`) with an emulator of its own, both
/// from `seed`: the outcomes must be the same at every step, and what they hold every few steps.
pub async fn lockstep(seed: u64, steps: &[Numbered], endpoint: &str) -> Result<Run, Violation> {
    let fakes = fake_leg(seed).await;
    let dynamodb = dynamodb_leg(seed, endpoint).await;
    let mut books = (Book::default(), Book::default());
    let mut run = Run::default();
    for (i, (n, step)) in steps.iter().enumerate() {
        let expected = Box::pin(checked_step(&fakes, &mut books.0, &mut run, *n, step)).await?;
        let seen = Box::pin(dynamodb.step(&mut books.1, *n, step)).await;
        if expected != seen {
            let what = format!("{step:?}: the fakes answered {expected:?}, DynamoDB Local and the emulator {seen:?}");
            return Err(Violation { step: *n, what });
        }
        run.outcomes.push(expected);
        if (i + 1) % SNAPSHOT_EVERY == 0 || i + 1 == steps.len() {
            if let Some(difference) = snapshot::difference(&fakes.snapshot().await, &dynamodb.snapshot().await) {
                return Err(Violation { step: *n, what: format!("the legs hold different things: {difference}") });
            }
        }
    }
    let _ = dynamodb.deps.store.inner.delete_table().await;
    Ok(run)
}

/// The leg over DynamoDB Local and the Shopify emulator, with timeouts short enough for held answers.
pub type DynamoLeg = Leg<DynamoStore, ShopifyHttp, Emulator>;

async fn dynamodb_leg(seed: u64, endpoint: &str) -> DynamoLeg {
    let client = tally_config::dynamodb_client(Some(endpoint)).expect("a DynamoDB Local client");
    let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let store = DynamoStore::new(client, format!("sim-{seed}-{}-{nonce}", std::process::id()));
    // The simulation reads no stream; DynamoDB Local slows under load on a table with one.
    store.create_table_with(Stream::Off).await.expect("DynamoDB Local creates the table");
    let emulator = shopify_emulator::Emulator::new();
    let addr = emulator.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("the emulator starts");
    let timeouts = ShopifyTimeouts { request: run::SHOPIFY_REQUEST, budget: run::SHOPIFY_BUDGET };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("an HTTP client");
    Leg::new(seed, store, ShopifyHttp::new(timeouts), Emulator { base: format!("http://{addr}"), http }).await
}

impl<S: Store, H: Shopify, W: ShopifyWorld> Leg<S, H, W> {
    async fn customer(&self, shop: usize, n: u8) -> tally_domain::customer::Customer {
        use tally_app::ports::store::Customers;
        let store = self.deps.store.inner.shop(&self.shops[shop].domain);
        store.customer(world::customer_id(n)).await.expect("the store answers").expect("an enrolled customer")
    }
}

/// The command that replays `seed`'s schedule, or only `steps` of it.
pub fn replay_command(seed: u64, ops: usize, steps: Option<&[Numbered]>, dynamodb: bool) -> String {
    let mut command = format!("make sim SEED={seed} OPS={ops}");
    if let Some(steps) = steps {
        let list: Vec<String> = steps.iter().map(|(n, _)| n.to_string()).collect();
        command.push_str(&format!(" STEPS={}", list.join(",")));
    }
    if dynamodb {
        command.push_str(" DYNAMODB=1");
    }
    command
}
