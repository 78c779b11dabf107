//! The report's sections on each write path's round trips, contention on one balance, and how a large
//! shop's writes spread over DynamoDB's partitions.

use tally_app::ports::store::LISTING_SHARDS;

use crate::contention::{Contention, RACERS};
use crate::paths::{PathFigures, PER_PATH};
use crate::report::ms;

pub(crate) fn paths(paths: &[PathFigures]) -> String {
    let mut out = format!(
        "\n## Every write path's round trips\n\nEach path run {PER_PATH} times, warm, through the metered API server; the DynamoDB client counts its calls and its sequential round trips (a round trip begins when a call starts with none in flight: calls made at the same time count once; a call made while Shopify works counts as one of its own). Units as above. The floor is what the path cannot do without.\n\n| path | DynamoDB calls | sequential round trips | read units | write units | floor (round trips) |\n| --- | --- | --- | --- | --- | --- |\n"
    );
    for p in paths {
        out.push_str(&format!(
            "| {} | {:.1} | {:.1} | {:.1} | {:.1} | {} |\n",
            p.name, p.calls, p.round_trips, p.reads, p.writes, p.floor
        ));
    }
    out
}

pub(crate) fn contention(c: &Contention) -> String {
    let other = match c.other.is_empty() {
        true => "none".to_string(),
        false => format!("{:?}", c.other),
    };
    format!(
        "\n## Contention on one balance\n\n{RACERS} redemptions at once, each with its own `Idempotency-Key`, for one customer whose points afford exactly one: **{} reward**, {} refused with `400 INSUFFICIENT_POINTS`, {} with `409 REQUEST_IN_PROGRESS`, other answers: {other}. Latency p50 {} ms, p99 {} ms. (`make test` asserts the outcome: `redeem::a_hundred_racing_redemptions_for_one_balance_make_one_reward`.)\n",
        c.rewards,
        c.insufficient,
        c.in_progress,
        ms(c.p50),
        ms(c.p99)
    )
}

/// What one shop's redemptions write to partitions the whole shop shares, and how fast it can go before
/// one of them reaches DynamoDB's per-partition limits (1,000 write units and 3,000 read units a second).
pub(crate) fn partitions() -> String {
    let shards = LISTING_SHARDS as f64;
    // A reward's listing: put at the debit (pending), moved at Shopify's answer (expiring): one index write,
    // then a delete and a put.
    let listing_writes = 3.0;
    let per_shard = listing_writes / shards;
    let writes_bound = 1000.0 / per_shard;
    format!(
        "\n## One large shop's partitions\n\nA redemption writes the customer's partition (their profile, ledger entry and reward), its code's item and its key's record (one partition each), and the reward's listing in the shop's `GSI1` partitions. Only those last are shared by the whole shop: the listings are spread over {LISTING_SHARDS} partitions by reward id (`SHOP#{{domain}}#LISTED#nn`), as customers' lot listings are by customer id and order and delivery markers by their key. Each redemption writes {listing_writes:.0} index units there (the pending listing, then its delete and the expiring listing), {per_shard:.3} a shard on average, so one shop can redeem about **{writes_bound:.0} times a second** before any listing partition reaches 1,000 write units a second (before sharding, one partition took all {listing_writes:.0} and capped a shop at {:.0}). The shop's own item and API keys are held by each Lambda ({}, README); the rule is read from the shop's partition with each redemption (one strongly consistent read unit), which caps one shop at about 3,000 redemptions a second on that partition's read limit: the lower of the two bounds. A single customer's partition takes about 8 write units a redemption, about 125 a second for one customer.\n",
        1000.0 / listing_writes,
        "`HELD_FOR`, 5 s",
    )
}
