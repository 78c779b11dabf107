//! Large shops, seeded straight into DynamoDB Local (`ShopTable::seed_*`), and the jobs run over them as
//! their state machines run them: every shop at once, each slice after slice. `make test` runs them small
//! (tests/tests/jobs_at_scale.rs); `make bench` at the sizes of bench/report.md.

use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::json;
use tally_app::jobs::{Cursor, JobError, Report, Slice};
use tally_app::ports::Store;
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::lots::{Lot, Lots};
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use crate::{now, Stack, TestShop};

/// What a run of the jobs at scale measured.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    /// From the run's start until every shop but the throttled one was done.
    pub others_done_in: Duration,
    /// The growth of this process's peak resident memory over the run, in KiB.
    pub peak_rss_growth_kib: u64,
    pub slices: usize,
}

/// The peak resident memory so far, in KiB, after resetting it when `reset` (Linux's `clear_refs`).
pub fn peak_rss_kib(reset: bool) -> u64 {
    if reset {
        let _ = std::fs::write("/proc/self/clear_refs", "5");
    }
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap_or("VmHWM: 0 kB");
    line.split_whitespace().nth(1).and_then(|kib| kib.parse().ok()).unwrap_or(0)
}

/// When the seeded rewards and lots end: before `at`, when the jobs run.
pub fn ended() -> Time {
    now() + time::Duration::days(1)
}

pub fn at() -> Time {
    now() + time::Duration::days(2)
}

/// `count` unused rewards of customer `customer` that ended yesterday (as `at` sees it), their codes
/// unknown to Shopify, made from a real reward of the shop (`template`): listed where they stand, or only
/// in the journal (each with a ledger entry that paid for it) when `journaled`, as a redemption leaves them.
pub async fn seed_rewards(stack: &Stack, shop: &TestShop, template: u64, customer: u64, count: u64, journaled: bool) {
    let template = stack.reward_record(&shop.domain, customer, template).await.expect("the template reward");
    let rewards: Vec<_> = (1..=count)
        .map(|i| tally_domain::reward::Reward {
            id: RewardId::new(template.id.get() + i).expect("an id"),
            discount_code: Some(format!("SCALE-{i}")),
            expire_date: Some(ended()),
            journaled,
            ..template.clone()
        })
        .collect();
    for chunk in rewards.chunks(2500) {
        stack.store.shop(&shop.id).seed_rewards(chunk).await.expect("rewards seeded");
    }
}

/// `count` customers from id `first`, every `lots_every`-th with 100 points that end at `ended()`.
pub async fn seed_customers(stack: &Stack, shop: &TestShop, template: u64, first: u64, count: u64, lots_every: u64) {
    let template = stack.customer_record(&shop.domain, template).await.expect("the template customer");
    let customers: Vec<_> = (first..first + count)
        .map(|id| {
            let lots = match id % lots_every.max(1) {
                0 => Lots::from_lots([Lot { points: 100, expires_at: Some(ended()) }]),
                _ => Lots::without_expiry(100),
            };
            tally_domain::customer::Customer {
                customer_id: CustomerId::new(id).expect("an id"),
                email: None,
                phone: None,
                external_id: None,
                available_points: 100,
                lots,
                ..template.clone()
            }
        })
        .collect();
    for chunk in customers.chunks(2500) {
        stack.store.shop(&shop.id).seed_customers(chunk).await.expect("customers seeded");
    }
}

/// Runs every shop at once, slice after slice, as the state machine's Map does; each slice has `slice_time`
/// (a Lambda's time). Returns each shop's report and when it finished, and how many slices ran.
pub async fn run_all<R, F>(
    shops: &[ShopDomain],
    slice_time: Duration,
    slice: impl Fn(ShopDomain, Option<Cursor>, Instant) -> F,
) -> (Vec<(R, Duration)>, usize)
where
    R: Report,
    F: std::future::Future<Output = Result<Slice<R>, JobError>>,
{
    let started = Instant::now();
    let slice = &slice;
    let each = shops.iter().map(|domain| async move {
        let (mut report, mut cursor, mut slices) = (R::default(), None, 0);
        loop {
            slices += 1;
            let done = slice(domain.clone(), cursor, Instant::now() + slice_time).await.expect("a slice runs");
            report.add(done.report);
            match done.next {
                None => return (report, started.elapsed(), slices),
                next => cursor = next,
            }
        }
    });
    let done = join_all(each).await;
    let slices = done.iter().map(|(_, _, n)| n).sum();
    (done.into_iter().map(|(r, t, _)| (r, t)).collect(), slices)
}

/// Every item of the table that belongs to the shop: under a key, or listed under one, naming it.
pub async fn items_of(stack: &Stack, domain: &str) -> usize {
    let client = tally_config::dynamodb_client(Some(&crate::dynamodb_endpoint())).expect("a client");
    let (mut found, mut start) = (0, None);
    loop {
        let page = client
            .scan()
            .table_name(stack.store.table())
            .filter_expression("contains(PK, :d) OR contains(SK, :d) OR contains(GSI1PK, :d)")
            .expression_attribute_values(":d", aws_sdk_dynamodb::types::AttributeValue::S(domain.to_string()))
            .set_exclusive_start_key(start)
            .send()
            .await
            .expect("the scan runs");
        found += page.items.map_or(0, |items| items.len());
        start = page.last_evaluated_key;
        if start.is_none() {
            return found;
        }
    }
}

/// A shop with one customer and one real unused reward (its points taken at once), to copy.
pub async fn shop_with_template(stack: &Stack, name: &str) -> (TestShop, u64) {
    let shop = stack.shop(name).await;
    let rule = json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "1.00"});
    let rule = stack.rule(&shop, rule).await;
    stack.customer(&shop, 1, 100).await;
    let body = json!({"customerId": 1, "redeemRuleId": rule});
    let redeemed = stack.post(&shop.key, "/api/external/redeem-points", body).await;
    let reward = redeemed.body["reward"]["id"].as_u64().expect("a reward");
    (shop, reward)
}
