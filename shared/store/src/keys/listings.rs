//! Where rewards are listed for the jobs (`GSI1`): by where each stands, and in the redemptions' journal.

use tally_app::ports::store::{listing_shard, LISTING_SHARDS};
use tally_domain::ids::RewardId;
use tally_domain::reward::Listing;
use tally_domain::shop::ShopDomain;
use tally_domain::{rfc3339, Time};

use super::{shop_partition, Key};

/// Where a reward is listed in `GSI1`, given where it stands.
pub fn listing(domain: &ShopDomain, listing: Listing, reward_id: RewardId) -> Key {
    match listing {
        Listing::Pending(at) => pending_listing(domain, at, reward_id),
        Listing::Review(at) => review_listing(domain, at, reward_id),
        Listing::Expiring(at) => expiring_listing(domain, at, reward_id),
        Listing::Refunding(at) => refunding_listing(domain, at, reward_id),
    }
}

/// The index partition a reward is listed in: one of the shop's `LISTING_SHARDS`, by the reward's id, so
/// that a large shop's listings spread over as many partitions.
fn listed_in(domain: &ShopDomain, reward_id: RewardId) -> String {
    format!("SHOP#{domain}#LISTED#{:02}", listing_shard(reward_id.get()))
}

/// The index partitions of the shop's reward listings, in the order they are read (`LISTING_PARTITIONS`):
/// the shop's own, where they were kept before they were spread, then each shard.
pub fn listings(domain: &ShopDomain) -> Vec<String> {
    let shards = (0..LISTING_SHARDS).map(|shard| format!("SHOP#{domain}#LISTED#{shard:02}"));
    std::iter::once(shop_partition(domain)).chain(shards).collect()
}

/// A shop's rewards waiting for Shopify, oldest first, for reconciliation.
pub fn pending_listing(domain: &ShopDomain, created_at: Time, reward_id: RewardId) -> Key {
    (listed_in(domain, reward_id), format!("{PENDING_LISTING_PREFIX}{}#{reward_id}", rfc3339(created_at)))
}

/// A shop's rewards whose outcome in Shopify an operator must decide.
pub fn review_listing(domain: &ShopDomain, created_at: Time, reward_id: RewardId) -> Key {
    (listed_in(domain, reward_id), format!("{REVIEW_LISTING_PREFIX}{}#{reward_id}", rfc3339(created_at)))
}

/// A shop's unused rewards by expiry date, for the expiry job.
pub fn expiring_listing(domain: &ShopDomain, expire_date: Time, reward_id: RewardId) -> Key {
    (listed_in(domain, reward_id), format!("{EXPIRING_LISTING_PREFIX}{}#{reward_id}", rfc3339(expire_date)))
}

/// A shop's refunds begun and not finished, for reconciliation.
pub fn refunding_listing(domain: &ShopDomain, requested_at: Time, reward_id: RewardId) -> Key {
    (listed_in(domain, reward_id), format!("{REFUNDING_LISTING_PREFIX}{}#{reward_id}", rfc3339(requested_at)))
}

/// The sort-key range, in each listing partition, of refunds begun at or before `before`.
pub fn refunding_until(before: Time) -> (String, String) {
    (REFUNDING_LISTING_PREFIX.into(), format!("{REFUNDING_LISTING_PREFIX}{}#~", rfc3339(before)))
}

const REFUNDING_LISTING_PREFIX: &str = "REFUNDING#";
const PENDING_LISTING_PREFIX: &str = "PENDING#";
pub const REVIEW_LISTING_PREFIX: &str = "REVIEW#";
const EXPIRING_LISTING_PREFIX: &str = "EXPIRES#";

/// The sort-key range, in each listing partition, of pending rewards created at or before `before`. `~`
/// sorts after every reward id, so the rewards of the cutoff's own second are included.
pub fn pending_until(before: Time) -> (String, String) {
    (PENDING_LISTING_PREFIX.into(), format!("{PENDING_LISTING_PREFIX}{}#~", rfc3339(before)))
}

/// The same for unused rewards ending at or before `before`.
pub fn expiring_until(before: Time) -> (String, String) {
    (EXPIRING_LISTING_PREFIX.into(), format!("{EXPIRING_LISTING_PREFIX}{}#~", rfc3339(before)))
}

/// The redemptions' journal (`Reward::journaled`): an entry on the ledger entry that paid for each reward a
/// redemption made, by when it was made, in one of `LISTING_SHARDS` partitions by the reward's id. Nothing
/// moves an entry, so that the redemption's later writes of its reward rewrite no index entry.
pub fn journal_entry(domain: &ShopDomain, made_at: Time, reward_id: RewardId) -> Key {
    (journal_partition(domain, listing_shard(reward_id.get())), format!("{}#{reward_id}", journal_time(made_at)))
}

fn journal_partition(domain: &ShopDomain, shard: u64) -> String {
    format!("SHOP#{domain}#JOURNAL#{shard:02}")
}

/// The journal's partitions, in the order they are read.
pub fn journals(domain: &ShopDomain) -> Vec<String> {
    (0..LISTING_SHARDS).map(|shard| journal_partition(domain, shard)).collect()
}

/// The sort-key range, in each journal partition, of the rewards made after `since` (from the first when
/// `None`) and at or before `until`. `~` sorts after every reward id, and every entry begins with a digit.
pub fn journal_between(since: Option<Time>, until: Time) -> (String, String) {
    let low = since.map_or_else(|| "0".to_string(), |since| format!("{}#~", journal_time(since)));
    (low, format!("{}#~", journal_time(until)))
}

/// A time as the journal sorts it: in UTC to the microsecond, every digit written, so that the order of the
/// text is the order of the times (RFC 3339 leaves out a zero fraction, and `…:05Z` sorts after `…:05.5Z`).
fn journal_time(t: Time) -> String {
    let t = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    let (date, clock) = (t.date(), t.time());
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        date.year(),
        u8::from(date.month()),
        date.day(),
        clock.hour(),
        clock.minute(),
        clock.second(),
        clock.microsecond()
    )
}

/// How far the journal was read (`Listings::journal_read_to`).
pub fn journal_read(domain: &ShopDomain) -> Key {
    (shop_partition(domain), "JOURNAL".into())
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_journal_sorts_by_time_to_the_microsecond_and_reads_after_its_mark() {
        let shop = ShopDomain::parse("s.myshopify.com").unwrap();
        let id = RewardId::new(7).unwrap();
        let whole = journal_entry(&shop, datetime!(2026-12-07 12:00:05 UTC), id).1;
        let half = journal_entry(&shop, datetime!(2026-12-07 12:00:05.5 UTC), id).1;
        let next = journal_entry(&shop, datetime!(2026-12-07 12:00:06 UTC), id).1;
        assert!(whole < half && half < next, "{whole} {half} {next}");
        let (low, high) = journal_between(Some(datetime!(2026-12-07 12:00:05 UTC)), datetime!(2026-12-07 12:00:06 UTC));
        assert!(low > whole && low < half && next < high, "after the mark, up to and with `until`");
        assert!(journal_between(None, datetime!(2026-12-07 12:00:06 UTC)).0 < whole, "from the first");
    }
}
