//! The store, as the use cases need it: small capabilities of one shop's data (`Store::shop` gives the
//! handle), the shops and the jobs' locks across shops, and one way to write (`Writes::commit`). DynamoDB
//! implements it (`tally-store`), and so does an in-memory fake (`fakes`).

use std::future::Future;

use tally_domain::customer::{Customer, Identity};
use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId};
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::shop::{Shop, ShopDomain, ShopSecrets, ShopSettings, ShopStatus};
use tally_domain::Time;

pub use super::write::{Answer, Claim, NewKey, Promise, Taking};
use super::write::{Committed, Write};

/// The store failed (DynamoDB unreachable, throttled, an item unreadable); what went wrong is logged where
/// it happened, and never shown to a client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the store failed: {0}")]
pub struct StoreError(pub String);

pub type StoreResult<T> = Result<T, StoreError>;

/// A future the store gives: it may move between threads.
pub trait Fut<T>: Future<Output = StoreResult<T>> + Send {}
impl<T, F: Future<Output = StoreResult<T>> + Send> Fut<T> for F {}

pub trait Store: Send + Sync {
    type Shop<'a>: ShopStore + 'a
    where
        Self: 'a;

    /// One shop's data.
    fn shop<'a>(&'a self, domain: &'a ShopDomain) -> Self::Shop<'a>;

    /// Every shop connected to Tally.
    fn shops(&self) -> impl Fut<Vec<Shop>>;

    /// The shop an API key opens, by the key's hash.
    fn shop_for_key(&self, hash: &str) -> impl Fut<Option<Shop>>;

    /// Takes a job's lock until `until` with `token`, unless another run holds it past `now`.
    fn lock_job(&self, job: &str, token: &str, now: Time, until: Time) -> impl Fut<Held>;

    /// Frees a job's lock, if `token` still holds it.
    fn unlock_job(&self, job: &str, token: &str) -> impl Fut<()>;

    /// The shops whose deletion was asked (`Erasure::begin_redaction`) and is not finished.
    fn redactions(&self) -> impl Fut<Vec<ShopDomain>>;
}

/// Everything a use case reads or writes of one shop.
pub trait ShopStore:
    ShopRecords
    + ApiKeys
    + Customers
    + Rewards
    + Ledgers
    + Rules
    + Listings
    + Idempotency
    + Markers
    + Tokens
    + Erasure
    + Writes
{
}

impl<T> ShopStore for T where
    T: ShopRecords
        + ApiKeys
        + Customers
        + Rewards
        + Ledgers
        + Rules
        + Listings
        + Idempotency
        + Markers
        + Tokens
        + Erasure
        + Writes
{
}

/// Whether a lock, a lease or a marker was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Held {
    Taken,
    /// Someone else holds it.
    Elsewhere,
}

/// Whether a create made something new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Created {
    New,
    /// It exists already: nothing was written.
    Exists,
}

/// Whether the thing a write was about exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    Yes,
    No,
}

/// The shop's own item and its secrets.
pub trait ShopRecords: Send + Sync {
    fn get(&self) -> impl Fut<Option<Shop>>;
    /// Creates the shop with its secrets, unless it exists.
    fn create(&self, shop: &Shop, secrets: &ShopSecrets) -> impl Fut<Created>;
    /// Gives an existing shop its new access, admin URL, currency and code prefix, makes it active and
    /// replaces its secrets, keeping its rules, settings and customers.
    fn reconnect(&self, shop: &Shop, secrets: &ShopSecrets) -> impl Fut<()>;
    fn set_status(&self, status: ShopStatus, at: Time) -> impl Fut<Found>;
    fn set_settings(&self, settings: &ShopSettings) -> impl Fut<Found>;
    /// The app's client secret, which verifies webhooks and App Proxy requests.
    fn client_secret(&self) -> impl Fut<Option<String>>;
    /// A legacy app's static Admin API token.
    fn static_token(&self) -> impl Fut<Option<String>>;
    fn secrets(&self) -> impl Fut<Option<ShopSecrets>>;
    fn put_secrets(&self, secrets: &ShopSecrets) -> impl Fut<()>;
    /// The shop's next rule id; `None` when there is no such shop.
    fn next_rule_id(&self) -> impl Fut<Option<RuleId>>;
    /// Makes every later `next_rule_id` greater than `taken` (a rule imported under its own id); `false` when
    /// there is no such shop.
    fn rule_id_taken(&self, taken: RuleId) -> impl Fut<bool>;
}

/// An API key as its shop lists it: its first characters, and when it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedKey {
    pub hash: String,
    pub prefix: String,
    pub created_at: Time,
}

pub trait ApiKeys: Send + Sync {
    /// Stores a key (by its hash) for the shop; `Elsewhere` when it opens another shop (never moved).
    fn add_key(&self, key: &ListedKey) -> impl Fut<Held>;
    fn keys(&self) -> impl Fut<Vec<ListedKey>>;
    /// Revokes the key with this hash.
    fn revoke_key(&self, hash: &str) -> impl Fut<()>;
}

pub trait Customers: Send + Sync {
    fn customer(&self, id: CustomerId) -> impl Fut<Option<Customer>>;
    /// The customer an identifier is unique to, if any.
    fn owner(&self, identity: &Identity) -> impl Fut<Option<CustomerId>>;
    /// Every customer ever enrolled in the shop.
    fn customer_ids(&self) -> impl Fut<Vec<CustomerId>>;
    /// A customer and a rule of the shop, read together in one call: what a redemption decides on.
    fn customer_and_rule(&self, customer: CustomerId, rule: RuleId)
        -> impl Fut<(Option<Customer>, Option<RedeemRule>)>;
}

pub trait Rewards: Send + Sync {
    fn reward(&self, customer: CustomerId, id: RewardId) -> impl Fut<Option<Reward>>;
    /// The rewards under these ids (at most 100) that a redemption made since rewards were kept in order,
    /// in one read; in no order, and without those gone with their customer.
    fn rewards_made(&self, ids: &[(CustomerId, RewardId)]) -> impl Fut<Vec<Reward>>;
    /// Whose reward a code is, if it is one of the shop's.
    fn code_owner(&self, code: &str) -> impl Fut<Option<(CustomerId, RewardId)>>;
    /// The customer's record and every reward of theirs (in no order), in one read however many they are:
    /// for the audit, the data request and records that keep no `RewardTally`.
    fn customer_with_rewards(&self, customer: CustomerId) -> impl Fut<Option<(Customer, Vec<Reward>)>>;
    /// At most `limit` of the customer's rewards kept in the order they were made, newest first, older than
    /// `before` when given, and whether older ones remain: one bounded read.
    fn newest_rewards(
        &self,
        customer: CustomerId,
        before: Option<RewardId>,
        limit: usize,
    ) -> impl Fut<(Vec<Reward>, bool)>;
    /// The customer's rewards made before rewards were kept in order (in no order): as many as their
    /// `RewardTally::unordered` says, a number that grows only by rewards imported from before then.
    fn unordered_rewards(&self, customer: CustomerId) -> impl Fut<Vec<Reward>>;
}

pub trait Ledgers: Send + Sync {
    /// The customer's whole ledger, oldest entry first.
    fn ledger(&self, customer: CustomerId) -> impl Fut<Vec<LedgerEntry>>;
    /// At most `limit` entries older than `before` (a sequence number), newest first, and whether older
    /// ones remain: one read, however long the ledger.
    fn ledger_page(
        &self,
        customer: CustomerId,
        before: Option<u64>,
        limit: usize,
    ) -> impl Fut<(Vec<LedgerEntry>, bool)>;
}

pub trait Rules: Send + Sync {
    fn rule(&self, id: RuleId) -> impl Fut<Option<RedeemRule>>;
    /// Every rule of the shop, oldest first.
    fn rules(&self) -> impl Fut<Vec<RedeemRule>>;
    /// The rule an import gave this alias, if one did.
    fn rule_by_alias(&self, alias: &RuleAlias) -> impl Fut<Option<RuleId>>;
    /// Every alias imports gave the shop's rules (one read: a shop has few rules).
    fn rule_aliases(&self) -> impl Fut<Vec<(RuleAlias, RuleId)>>;
    /// Whether a rule with this id was deleted.
    fn rule_deleted(&self, id: RuleId) -> impl Fut<bool>;
}

/// Where a paged read stopped: the listing position of the last item it gave, to go on after it. Opaque to
/// the use cases; a job keeps it between runs.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Position(pub String);

/// How many partitions a shop's listings are spread over (rewards by id, customers' lots by customer id),
/// so that a large shop's writes do not all land on one. A listing is read partition after partition: first
/// the one listings were kept in before they were spread (until it empties), then `0..LISTING_SHARDS`.
pub const LISTING_SHARDS: u64 = 16;

/// The shard a reward (by id) or a customer's lot listing (by customer id) is listed in.
pub fn listing_shard(id: u64) -> u64 {
    id % LISTING_SHARDS
}

/// The partitions a listing is read from, in order: the one from before sharding (0), then each shard.
pub const LISTING_PARTITIONS: usize = 1 + LISTING_SHARDS as usize;

impl Position {
    /// A position in partition `index` (of `LISTING_PARTITIONS`): after `within`, or at its start when empty.
    pub fn in_partition(index: usize, within: &str) -> Position {
        Position(format!("{index:02}|{within}"))
    }

    /// The partition a position is in and where within it; a position of no partition starts at the first.
    pub fn partition(&self) -> (usize, &str) {
        match self.0.split_once('|') {
            Some((index, within)) => (index.parse().unwrap_or(0), within),
            None => (0, ""),
        }
    }
}

/// One page of a listing, in the listing's order, and where the next one begins if more may follow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<Position>,
}

/// What the jobs visit, a page at a time: rewards by where they are listed (`Reward::listing`), customers
/// by the days their lots expire, and every customer of a shop. `after` is where the last page stopped.
/// The listings of rewards and lots are read a partition at a time (`LISTING_PARTITIONS`): a page holds
/// one partition's, and may be empty while `next` says more partitions follow.
pub trait Listings: Send + Sync {
    /// Rewards waiting for Shopify listed at or before `before`, oldest first.
    fn pending(&self, before: Time, after: Option<&Position>, limit: usize) -> impl Fut<Page<Reward>>;
    /// Every reward waiting for an operator, oldest first.
    fn in_review(&self) -> impl Fut<Vec<Reward>>;
    /// Unused rewards listed to end at or before `before`.
    fn expiring(&self, before: Time, after: Option<&Position>, limit: usize) -> impl Fut<Page<Reward>>;
    /// Refunds listed at or before `before` and not finished.
    fn refunding(&self, before: Time, after: Option<&Position>, limit: usize) -> impl Fut<Page<Reward>>;
    /// Customers listed with a lot expiring on or before `day` (and after `since`, if given), with that day.
    fn lots_due(
        &self,
        since: Option<time::Date>,
        day: time::Date,
        after: Option<&Position>,
        limit: usize,
    ) -> impl Fut<Page<(CustomerId, time::Date)>>;
    /// The shop's customers, in the order of their ids as text.
    fn customers_page(&self, after: Option<&Position>, limit: usize) -> impl Fut<Page<CustomerId>>;
    /// The rewards redemptions made (`Reward::journaled`), listed where they stand or not: those made after
    /// `since` (from the first when `None`) and at or before `until`, by when they were made.
    fn journal(
        &self,
        since: Option<Time>,
        until: Time,
        after: Option<&Position>,
        limit: usize,
    ) -> impl Fut<Page<(CustomerId, RewardId)>>;
    /// How far the journal was read: every reward in it made at or before then is listed where it stands.
    fn journal_read_to(&self) -> impl Fut<Option<Time>>;
    /// That the journal was read to `to`. (A mark set back by a walk that ended later than another only
    /// has the next walk read again rewards already listed.)
    fn set_journal_read_to(&self, to: Time) -> impl Fut<()>;
}

/// What to do with a request that carries an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// First time, or a retry of a request that made no change: run it.
    Run(Claim),
    /// A retry of a request whose change was made but whose answer was lost: answer from the change.
    Resume(Claim, Effect),
    /// The request was answered: the same answer again.
    Replay(Answer),
    /// The request promised its answer if its reward is issued: that answer, if it was; if not, what
    /// `Idempotency::begin_unpromised` says.
    Promised { promise: Promise, effect: Effect },
    /// The first request is still running.
    InProgress,
    /// The key was used for a different request.
    Reused,
}

/// How long a claim holds its key: longer than any function runs (15 s), so that a live request is never
/// overtaken, short enough that a request whose Lambda died frees its key soon.
pub const CLAIM_MILLIS: i64 = 30_000;
/// How long a key's answer is kept: at least 24 hours, as the contract promises.
pub const KEEP_ANSWER_SECONDS: i64 = 48 * 3600;

pub trait Idempotency: Send + Sync {
    /// Reads what `key` holds, or claims it with `token` (for `CLAIM_MILLIS` from `now` once the request's
    /// effect is written). A free key is only read: the effect's own write takes it (`Taking::Fresh`). A key
    /// whose request died is taken over at once (`Taking::Held`).
    fn begin(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> impl Fut<Begin>;
    /// The same for a key whose promise was found not kept (its reward not issued): the promise is no
    /// answer, and a claim that takes the key over removes it, so that the retry's answer is the only one.
    fn begin_unpromised(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> impl Fut<Begin>;
    /// Keeps the answer for retries, if the request recorded an effect; otherwise frees the key. It may be
    /// kept again, replacing the first (the same request's answer, corrected).
    fn finish(&self, claim: &Claim, answer: &Answer) -> impl Fut<()>;
    /// Lets a retry in at once: it resumes from the effect if there is one, or runs afresh (an answer kept
    /// before, found wrong since, goes).
    fn release(&self, claim: &Claim) -> impl Fut<()>;
    /// Forgets the effect of the claim's request, which came to nothing (a reward Shopify never issued,
    /// its points given back), so that the request runs afresh under the claim. `false` when the claim
    /// is no longer this request's.
    fn restart(&self, claim: &Claim) -> impl Fut<bool>;
    /// Whether the key's record, created by the claim with `effect` and `promise`, stays within one write
    /// unit (a record of a claim taken over is not: it keeps its answer by a write of its own).
    fn promise_fits(&self, claim: &Claim, effect: &Effect, promise: &Promise) -> bool;
}

/// Markers that expire: a cancelled order, for the creation that may arrive after it, and a webhook
/// delivery handled.
pub trait Markers: Send + Sync {
    fn mark_order_cancelled(&self, order: OrderId, at: Time) -> impl Fut<()>;
    fn order_cancelled(&self, order: OrderId) -> impl Fut<bool>;
    fn delivery_handled(&self, delivery: &str) -> impl Fut<bool>;
    fn record_delivery(&self, delivery: &str, at: Time) -> impl Fut<()>;
}

/// A shop's current Admin API token, shared by every Lambda.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedToken {
    pub token: String,
    pub valid_until: Time,
    /// From when a Lambda fetches the next one rather than start calls with this one.
    pub renew_after: Time,
}

impl std::fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedToken").field("valid_until", &self.valid_until).finish_non_exhaustive()
    }
}

pub trait Tokens: Send + Sync {
    fn shared_token(&self) -> impl Fut<Option<SharedToken>>;
    /// Takes the lease to fetch a new token until `until`, unless another Lambda holds it past `now`.
    fn lease_token(&self, now: Time, until: Time) -> impl Fut<Held>;
    /// Lets go of the lease taken until `until`, if it is still that one.
    fn release_lease(&self, until: Time) -> impl Fut<()>;
    /// Keeps a fetched token for every Lambda, and lets the lease go.
    fn share_token(&self, token: &SharedToken) -> impl Fut<()>;
    fn forget_token(&self) -> impl Fut<()>;
}

/// Deleting what Shopify's compliance webhooks ask to delete.
pub trait Erasure: Send + Sync {
    /// Every item of a customer: profile, rewards, ledger, the items that find them, their listings.
    fn delete_customer(&self, customer: CustomerId) -> impl Fut<()>;
    /// The shop's own items: rules, keys, listings, secrets, tokens, and the shop itself, last.
    fn delete_shop(&self) -> impl Fut<()>;
    /// Records that the shop's data is to be deleted (a job does it, page by page); `Exists` when it was.
    fn begin_redaction(&self, at: Time) -> impl Fut<Created>;
    /// The shop's deletion is finished: nothing of it is left, not even this record.
    fn end_redaction(&self) -> impl Fut<()>;
}

pub trait Writes: Send + Sync {
    /// Makes the write, all of it or nothing.
    fn commit(&self, write: Write) -> impl Fut<Committed>;
}
