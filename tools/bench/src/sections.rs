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
    // The journal's entry, written by the debit and never moved; then the reward's listing, written by the
    // journal's walk and deleted when the reward is used or ends.
    let (journal_writes, listing_writes) = (1.0, 2.0);
    let per_shard = listing_writes / shards;
    let writes_bound = 1000.0 / per_shard;
    format!(
        "\n## One large shop's partitions\n\nA redemption writes the customer's partition (their profile, ledger entry and reward), its code's item and its key's record (one partition each), and two kinds of entries in the shop's `GSI1` partitions. Only those last are shared by the whole shop, and both are spread over {LISTING_SHARDS} partitions by reward id, as customers' lot listings are by customer id and order and delivery markers by their key: the journal's entry on the ledger entry (`SHOP#{{domain}}#JOURNAL#nn`, {journal_writes:.0} index unit, never moved), and the reward's listing (`SHOP#{{domain}}#LISTED#nn`), written by the jobs' walk of the journal and deleted when the reward is used or ends ({listing_writes:.0} index units over the reward's life). That is {per_shard:.3} units a listing shard per redemption on average, so one shop can redeem about **{writes_bound:.0} times a second** before any of these partitions reaches 1,000 write units a second (before sharding, one partition took 3 units a redemption and capped a shop at {:.0}). The shop's own item and API keys are held by each Lambda ({}, README); the rule is read from the shop's partition with each redemption (one strongly consistent read unit), which caps one shop at about 3,000 redemptions a second on that partition's read limit: the lower of the two bounds. A single customer's partition takes about 7 write units a redemption (profile, ledger entry and reward in the transaction, the reward's outcome), about 140 a second for one customer.\n",
        1000.0 / 3.0,
        "`HELD_FOR`, 5 s",
    )
}
