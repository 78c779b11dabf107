//! The table's key design: every item's partition and sort key is made here and nowhere else. The
//! access patterns are listed in the README.

use tally_app::ports::store::{listing_shard, LISTING_SHARDS};
use tally_domain::customer::Identity;
use tally_domain::events::Destination;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId};
use tally_domain::reward::Reward;
use tally_domain::rule::RuleAlias;
use tally_domain::shop::ShopDomain;
use tally_domain::{rfc3339, Time};

/// The one secondary index, `GSI1`: sparse, it holds only the items that must be found across partitions.
/// Its key attributes are `records::GSI1PK` and `records::GSI1SK`.
pub const GSI1: &str = "GSI1";

pub type Key = (String, String);

mod listings;
pub use listings::*;

pub fn shop(domain: &ShopDomain) -> Key {
    (shop_partition(domain), "SHOP".into())
}

pub(crate) fn shop_partition(domain: &ShopDomain) -> String {
    format!("SHOP#{domain}")
}

/// The shop's secrets, apart from the shop: only the functions that need them may read this partition
/// (template.yaml denies the others `SECRET#` and `TOKEN#` by `dynamodb:LeadingKeys`).
pub fn secrets(domain: &ShopDomain) -> Key {
    (format!("{SECRETS_PARTITION}{domain}"), "SECRET".into())
}

/// A legacy app's static Admin API token: with the tokens, since it is one, so that the functions that only
/// verify signatures (which read `SECRET#`) cannot read it.
pub fn static_token(domain: &ShopDomain) -> Key {
    (format!("{TOKEN_PARTITION}{domain}"), "STATIC".into())
}

/// The shop's current Admin API token, shared by every Lambda.
pub fn token(domain: &ShopDomain) -> Key {
    (format!("{TOKEN_PARTITION}{domain}"), "TOKEN".into())
}

/// The partition prefixes of the secrets' items, which IAM guards.
pub const SECRETS_PARTITION: &str = "SECRET#";
pub const TOKEN_PARTITION: &str = "TOKEN#";

pub fn api_key(hash: &str) -> Key {
    (format!("APIKEY#{hash}"), "APIKEY".into())
}

/// An API key among its shop's keys.
pub fn shop_key(domain: &ShopDomain, hash: &str) -> Key {
    (shop_partition(domain), format!("{SHOP_KEY_PREFIX}{hash}"))
}

/// The shop's partition and the sort-key prefix of its keys.
pub fn shop_keys(domain: &ShopDomain) -> (String, &'static str) {
    (shop_partition(domain), SHOP_KEY_PREFIX)
}

const SHOP_KEY_PREFIX: &str = "KEY#";

pub fn rule(domain: &ShopDomain, id: RuleId) -> Key {
    (shop_partition(domain), format!("{RULE_PREFIX}{:012}", id.get()))
}

/// The shop's partition and the sort-key prefix of its rules.
pub fn rules(domain: &ShopDomain) -> (String, &'static str) {
    (shop_partition(domain), RULE_PREFIX)
}

const RULE_PREFIX: &str = "RULE#";

/// The item that makes an alias one rule's (not under `RULE#`, so that listing the rules passes it by).
pub fn rule_alias(domain: &ShopDomain, alias: &RuleAlias) -> Key {
    (shop_partition(domain), format!("{RULE_ALIAS_PREFIX}{alias}"))
}

/// The shop's partition and the sort-key prefix of its rules' aliases.
pub fn rule_aliases(domain: &ShopDomain) -> (String, &'static str) {
    (shop_partition(domain), RULE_ALIAS_PREFIX)
}

const RULE_ALIAS_PREFIX: &str = "RULEALIAS#";

/// The item that remembers a deleted rule's id.
pub fn deleted_rule(domain: &ShopDomain, id: RuleId) -> Key {
    (shop_partition(domain), format!("RULEDELETED#{:012}", id.get()))
}

/// A customer's partition: the profile, its rewards and its ledger live together, so that the loyalty
/// view is one query and a shop's load spreads over as many partitions as it has customers.
pub fn customer_partition(domain: &ShopDomain, customer_id: CustomerId) -> String {
    format!("SHOP#{domain}#CUSTOMER#{customer_id}")
}

pub fn customer(domain: &ShopDomain, customer_id: CustomerId) -> Key {
    (customer_partition(domain, customer_id), PROFILE.into())
}

pub const PROFILE: &str = "PROFILE";

/// Where a reward is kept. A reward whose id tells when it was made sorts among the customer's rewards in
/// the order they were made (`REWARD#T` and the id, 16 digits), after every reward made before ids told
/// their time (`REWARD#` and the random id): the newest are one bounded query away.
pub fn reward(domain: &ShopDomain, reward: &Reward) -> Key {
    match reward.id.tells(reward.create_at) {
        true => ordered_reward(domain, reward.customer_id, reward.id),
        false => unordered_reward(domain, reward.customer_id, reward.id),
    }
}

pub fn ordered_reward(domain: &ShopDomain, customer_id: CustomerId, reward_id: RewardId) -> Key {
    (customer_partition(domain, customer_id), format!("{ORDERED_REWARD_PREFIX}{:016}", reward_id.get()))
}

pub fn unordered_reward(domain: &ShopDomain, customer_id: CustomerId, reward_id: RewardId) -> Key {
    (customer_partition(domain, customer_id), format!("{REWARD_PREFIX}{reward_id}"))
}

/// Every reward's sort key begins so.
pub const REWARD_PREFIX: &str = "REWARD#";
/// The rewards kept in the order they were made: their sort keys sort after every digit.
pub const ORDERED_REWARD_PREFIX: &str = "REWARD#T";
/// Past the last ordered reward's sort key.
pub const ORDERED_REWARDS_END: &str = "REWARD#U";
/// The sort-key range of the rewards made before ids told their time: `REWARD#` and the id's digits.
pub const UNORDERED_REWARDS: (&str, &str) = ("REWARD#0", "REWARD#9~");

pub fn ledger(domain: &ShopDomain, customer_id: CustomerId, seq: u64) -> Key {
    (customer_partition(domain, customer_id), format!("{LEDGER_PREFIX}{seq:012}"))
}

pub const LEDGER_PREFIX: &str = "LEDGER#";

/// Makes an email unique in the shop and finds the customer who has it.
pub fn email(domain: &ShopDomain, email: &str) -> Key {
    (format!("SHOP#{domain}#EMAIL#{email}"), "EMAIL".into())
}

/// Makes a phone number unique in the shop and finds the customer who has it.
pub fn phone(domain: &ShopDomain, phone: &str) -> Key {
    (format!("SHOP#{domain}#PHONE#{phone}"), "PHONE".into())
}

/// Makes an external id (a POS or CRM id) unique in the shop and finds the customer who has it.
pub fn external_id(domain: &ShopDomain, external_id: &str) -> Key {
    (format!("SHOP#{domain}#EXTERNAL#{external_id}"), "EXTERNAL".into())
}

/// The customers holding points that expire on a day (UTC), for the expiry job: one small item per customer
/// and day, written with the points, deleted by the job once that day's lot is gone.
/// The listings are spread over `LISTING_SHARDS` partitions by customer (`listing_shard`).
pub fn lot_listing(domain: &ShopDomain, day: time::Date, customer_id: CustomerId) -> Key {
    let shard = listing_shard(customer_id.get());
    (format!("SHOP#{domain}#LOTS#{shard:02}"), format!("{LOTS_PREFIX}{day}#{:020}", customer_id.get()))
}

/// Where a lot listing was kept before listings were spread: deleted with the new one, until none is left.
pub fn unsharded_lot_listing(domain: &ShopDomain, day: time::Date, customer_id: CustomerId) -> Key {
    (unsharded_lot_listings(domain), format!("{LOTS_PREFIX}{day}#{:020}", customer_id.get()))
}

fn unsharded_lot_listings(domain: &ShopDomain) -> String {
    format!("SHOP#{domain}#LOTS")
}

/// The partitions of the shop's lot listings, in the order they are read (`LISTING_PARTITIONS`): the one
/// they were kept in before they were spread, then each shard.
pub fn lot_listings(domain: &ShopDomain) -> Vec<String> {
    let shards = (0..LISTING_SHARDS).map(|shard| format!("SHOP#{domain}#LOTS#{shard:02}"));
    std::iter::once(unsharded_lot_listings(domain)).chain(shards).collect()
}

pub const LOTS_PREFIX: &str = "LOTS#";

/// Makes a discount code unique in the shop (codes are case-insensitive in Shopify) and finds its reward.
pub fn code(domain: &ShopDomain, code: &str) -> Key {
    (format!("SHOP#{domain}#CODE#{}", code.to_uppercase()), "CODE".into())
}

/// Every shop, for the jobs that visit them all: the index partition, and each shop's entry.
pub const SHOPS: &str = "SHOPS";

pub fn shop_listing(domain: &ShopDomain) -> Key {
    (SHOPS.into(), domain.to_string())
}

/// A shop's customers, for the audit: a small item of its own per customer, written once at enrollment, so
/// that a change of balance rewrites no index entry.
pub fn customer_listing(domain: &ShopDomain, customer_id: CustomerId) -> Key {
    (customers(domain), format!("{CUSTOMER_LISTING_PREFIX}{:020}", customer_id.get()))
}

pub fn customers(domain: &ShopDomain) -> String {
    format!("SHOP#{domain}#CUSTOMERS")
}

pub const CUSTOMER_LISTING_PREFIX: &str = "CUSTOMER#";

/// An idempotency key of a shop.
pub fn idempotency(domain: &ShopDomain, key: &str) -> Key {
    (format!("SHOP#{domain}#IDEMPOTENCY#{key}"), "IDEMPOTENCY".into())
}

/// What Tally knows of a Shopify order: that it was cancelled, for a creation that arrives after. Markers
/// are kept in `MARKER_SHARDS` partitions of the shop, so that a shop's deletion finds them and a flash
/// sale's deliveries do not all write one partition.
pub fn order(domain: &ShopDomain, order_id: OrderId) -> Key {
    let sk = format!("ORDER#{order_id}");
    (markers(domain, shard(&sk)), sk)
}

/// Where an order's marker was kept before markers shared a partition (read until they have expired).
pub fn legacy_order(domain: &ShopDomain, order_id: OrderId) -> Key {
    (format!("SHOP#{domain}#ORDER#{order_id}"), "ORDER".into())
}

/// Where a delivery's marker was kept before markers were sharded (read until they have expired).
pub fn legacy_webhook(domain: &ShopDomain, webhook_id: &str) -> Key {
    (format!("SHOP#{domain}#WEBHOOK#{webhook_id}"), "WEBHOOK".into())
}

/// A webhook delivery already handled.
pub fn webhook(domain: &ShopDomain, webhook_id: &str) -> Key {
    let sk = format!("WEBHOOK#{webhook_id}");
    (markers(domain, shard(&sk)), sk)
}

/// How many partitions a shop's markers are spread over.
pub const MARKER_SHARDS: u32 = 16;

/// One partition of a shop's markers.
pub fn markers(domain: &ShopDomain, shard: u32) -> String {
    format!("SHOP#{domain}#MARKERS#{shard:02}")
}

/// A marker's shard: FNV-1a of its sort key (stable across versions, unlike the standard library's hash).
fn shard(sk: &str) -> u32 {
    let hash = sk.bytes().fold(0x811c_9dc5_u32, |h, b| (h ^ u32::from(b)).wrapping_mul(0x0100_0193));
    hash % MARKER_SHARDS
}

/// A shop's deletion, asked and not finished: every one under one partition, for the job to find.
pub fn redaction(domain: &ShopDomain) -> Key {
    (REDACTIONS.into(), domain.to_string())
}

pub const REDACTIONS: &str = "REDACTIONS";

/// A scheduled job's lock.
pub fn job(name: &str) -> Key {
    (format!("JOB#{name}"), "JOB".into())
}

/// The item that makes an identifier the customer's alone in the shop and finds them by it.
pub fn identity(domain: &ShopDomain, identity: &Identity) -> Key {
    match identity {
        Identity::Email(v) => email(domain, v.as_str()),
        Identity::Phone(v) => phone(domain, v.as_str()),
        Identity::ExternalId(v) => external_id(domain, v.as_str()),
    }
}

/// That a destination took an event (EventBridge and Flow, which do not tell repeats apart): a marker.
pub fn event_sent(domain: &ShopDomain, event_id: &str, to: Destination) -> Key {
    let sk = format!("SENT#{to}#{event_id}");
    (markers(domain, shard(&sk)), sk)
}

/// The shop's Klaviyo private API key, with its secrets (IAM lets only the events function and the
/// operator read `SECRET#`).
pub fn klaviyo_key(domain: &ShopDomain) -> Key {
    (format!("{SECRETS_PARTITION}{domain}"), "KLAVIYO".into())
}

/// How many partitions the outbox and the dead letters are spread over.
pub const OUTBOX_SHARDS: u32 = 16;

/// A delivery waiting to be tried again, by when it is due: every shop's in `OUTBOX_SHARDS` partitions
/// (by event), so that the scheduled run reads each soonest first and a large shop's outage spreads out.
/// A dead letter is kept the same way under `DEAD#`.
pub fn outbox(dead: bool, due: Time, domain: &ShopDomain, to: Destination, event_id: &str) -> Key {
    let partition = if dead { DEAD_PREFIX } else { OUTBOX_PREFIX };
    let shard = shard(event_id) % OUTBOX_SHARDS;
    (format!("{partition}{shard:02}"), format!("{}#{domain}#{to}#{event_id}", rfc3339(due)))
}

/// The outbox's (or the dead letters') partitions.
pub fn outbox_partitions(dead: bool) -> Vec<String> {
    let partition = if dead { DEAD_PREFIX } else { OUTBOX_PREFIX };
    (0..OUTBOX_SHARDS).map(|shard| format!("{partition}{shard:02}")).collect()
}

/// Past the sort keys of the deliveries due by `now`.
pub fn due_by(now: Time) -> String {
    format!("{}#~", rfc3339(now))
}

const OUTBOX_PREFIX: &str = "OUTBOX#";
const DEAD_PREFIX: &str = "DEAD#";

/// The expire job's notice that a customer's points expire on `day`: in the customer's partition, so that
/// the stream gives it in order with their other changes, and a customer's deletion takes it.
pub fn notice(domain: &ShopDomain, customer_id: CustomerId, day: time::Date) -> Key {
    (customer_partition(domain, customer_id), format!("{NOTICE_PREFIX}{day}"))
}

pub const NOTICE_PREFIX: &str = "NOTICE#";

/// How far the shop's notices have gone: the last day noticed.
pub fn noticed(domain: &ShopDomain) -> Key {
    (shop_partition(domain), "NOTICED".into())
}

/// The shop and customer of a customer's partition key (`customer_partition`).
pub fn parse_customer_partition(pk: &str) -> Option<(ShopDomain, CustomerId)> {
    let (shop, customer) = pk.strip_prefix("SHOP#")?.rsplit_once("#CUSTOMER#")?;
    Some((ShopDomain::parse(shop).ok()?, CustomerId::new(customer.parse().ok()?)?))
}
