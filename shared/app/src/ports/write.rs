//! One write: the changes a use case decided, made all together or not at all, each conditioned on the
//! state it was decided on. The store translates a `Write` into one DynamoDB write (a single-item write
//! when it has one item, one `TransactWriteItems` otherwise) and decides nothing: every decision is in
//! what it is given.

use tally_domain::customer::{Applied, Customer, Identity, IdentityKind};
use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, RewardId, RuleId};
use tally_domain::reward::{Reward, RewardChange};
use tally_domain::rule::{RedeemRule, RuleAlias};

#[derive(Debug, Clone, Default)]
pub struct Write {
    pub customer: Option<CustomerWrite>,
    pub reward: Option<RewardWrite>,
    /// A new reward's code, which must be no other reward's in the shop.
    pub code: Option<NewCode>,
    /// The request's effect, recorded under its idempotency claim (which must still be the request's).
    pub effect: Option<(Claim, Effect)>,
    /// The answer the request promises if its reward is issued, kept with the effect (`Promise`).
    pub promise: Option<Promise>,
    pub identities: Vec<IdentityWrite>,
    pub rule: Option<RuleWrite>,
    /// A customer's listing for the expiry job, for a day on which they no longer have a lot.
    pub unlist_lots: Option<(CustomerId, time::Date)>,
}

/// What happens to a customer's record.
#[derive(Debug, Clone)]
pub enum CustomerWrite {
    /// A change of balance: the record after it (if it is still at the version it was read at), its
    /// ledger entries, and the days newly listed for the expiry job.
    Changed(Applied),
    /// A new customer (if there is none with the id yet), listed among the shop's customers.
    Enrolled(Customer),
    /// The record replaced with this one (a returning customer, erased contact details), if it is still
    /// at `read_version`.
    Replaced { customer: Customer, read_version: u64 },
    /// Nothing written, but the write happens only if the record is still at `version`.
    Unchanged { customer_id: CustomerId, version: u64 },
}

/// What happens to a reward.
#[derive(Debug, Clone)]
pub enum RewardWrite {
    /// A new reward, if its id is free.
    New(Reward),
    /// A change, if the reward is still at the version it was decided on, in one of the statuses it may
    /// come from.
    Changed(RewardChange),
}

/// A new reward's code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCode {
    pub code: String,
    pub customer_id: CustomerId,
    pub reward_id: RewardId,
}

/// An identifier made a customer's, or let go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityWrite {
    /// Made the customer's, if it is free or theirs already.
    Claim(Identity, CustomerId),
    /// Let go, if it is the customer's (or free).
    Release(Identity, CustomerId),
}

/// What happens to a rule.
#[derive(Debug, Clone)]
pub enum RuleWrite {
    /// A new rule, if none has its id.
    Create(RedeemRule),
    /// A rule moved in from another program under the id it had there: created if no rule has the id and
    /// none with it was ever deleted, with its alias (the other program's id as text) made its, if no rule
    /// has that alias.
    Import { rule: RedeemRule, alias: Option<RuleAlias> },
    /// A rule that exists, replaced.
    Replace(RedeemRule),
    /// A rule that exists, deleted; its id is remembered as deleted, so that no import takes it again.
    Delete(RuleId),
}

/// How a write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Committed {
    Done,
    /// A condition did not hold: nothing was written.
    Rejected(Rejection),
}

/// Which condition did not hold.
#[derive(Debug, Clone, PartialEq)]
pub enum Rejection {
    /// The customer's record is not at the version the change was decided on: here it is as it now is,
    /// when the store could tell without another read.
    Customer(Option<Box<Customer>>),
    /// An enrollment found a customer with the id already.
    CustomerExists,
    /// The reward is not as the change was decided on: here it is as it now is, when known.
    Reward(Option<Box<Reward>>),
    /// A new reward's id is another's.
    RewardIdTaken,
    /// A new reward's code is another's.
    CodeTaken,
    /// The idempotency claim is no longer the request's: another attempt took it over.
    ClaimLost,
    /// Another customer holds this identifier.
    Identity(IdentityKind),
    /// The rule to create exists, or the rule to replace or delete does not.
    Rule,
    /// The rule to import has the id of a rule that was deleted.
    RuleDeleted,
    /// The rule to import has an alias another rule has.
    RuleAlias,
    /// Another write held an item at the same moment: nothing was written; the same write may be tried again.
    Contention,
}

impl Write {
    pub fn customer(customer: CustomerWrite) -> Write {
        Write { customer: Some(customer), ..Write::default() }
    }

    pub fn reward(reward: RewardWrite) -> Write {
        Write { reward: Some(reward), ..Write::default() }
    }

    /// The same write, recording `effect` under `claim` if the request has one.
    pub fn with_effect(self, claim: Option<&Claim>, effect: Effect) -> Write {
        Write { effect: claim.map(|claim| (claim.clone(), effect)), ..self }
    }
}

/// A request's hold on its idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: String,
    pub token: String,
    pub taking: Taking,
}

/// How the write that makes the request's effect takes the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Taking {
    /// The key was free when the request began: the write creates its record, held with the claim's token
    /// and the effect, if the key is still free (or expired) then. A request that makes no effect writes no
    /// record; two racing under one key make one effect, and the other is told the key is taken.
    Fresh(NewKey),
    /// The request took over the record of an attempt that died (`Idempotency::begin` wrote the claim's
    /// token): the write records the effect if the record is still held with the token and has none.
    Held,
}

/// An answer as its client received it, kept under the key for the retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

/// A redemption's answer as it will be once Shopify issues its reward, kept with the claim by the write that
/// takes the points, so that no write after Shopify's is needed to keep it: the answer of any retry once
/// the reward is found issued. The body holds a placeholder where Shopify's id of the reward goes, the one
/// thing in it not known before Shopify answers (`Promise::placeholder`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promise {
    pub body: String,
}

impl Promise {
    /// The promised answer's status.
    pub const STATUS: u16 = 200;

    /// What stands in the body, as a JSON string, for Shopify's id of `reward`.
    pub fn placeholder(reward: RewardId) -> String {
        format!("tally:shopify-id-of-reward-{reward}")
    }

    /// The answer once Shopify has issued `reward` as `shopify_id`.
    pub fn kept(&self, reward: RewardId, shopify_id: &str) -> Answer {
        let placeholder = serde_json::Value::from(Self::placeholder(reward)).to_string();
        let id = serde_json::Value::from(shopify_id).to_string();
        Answer { status: Self::STATUS, body: self.body.replace(&placeholder, &id) }
    }
}

/// The record a fresh claim creates with its request's effect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewKey {
    pub fingerprint: String,
    /// When the lock lapses, in milliseconds since the Unix epoch: a retry before then is told to wait.
    pub locked_until_ms: i64,
    /// When the record goes, in seconds since the Unix epoch (the table's TTL).
    pub expires_at_s: i64,
    /// The time the request began, in seconds: a record that expired before then is free.
    pub now_s: i64,
}
