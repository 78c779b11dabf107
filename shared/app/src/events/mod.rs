//! Events out: the changes the table's stream carries (`Record`, read by the store from the stream's
//! images) become the catalogue's events (`tally_domain::events`), which go to the EventBridge bus, to
//! Klaviyo when the shop has a key, to Shopify Flow, and, for the customer's standing, to their metafield.
//!
//! At least once from the stream, at most one effect per event at each destination: Klaviyo keeps one
//! event per `unique_id`; the metafield keeps the newest version; EventBridge and Flow are marked when they
//! took an event and not sent it again. A destination that fails is tried again a few times, then the
//! delivery waits in the outbox (`retry_due` sends it later, with backoff) so that it never holds up the
//! stream, the other destinations or other shops. Only the store failing fails a record, which the stream
//! then gives again.

mod deliver;
mod notices;
mod outcome;
mod retry;
mod standing;
pub mod wire;

use serde::{Deserialize, Serialize};
use tally_domain::customer::Customer;
use tally_domain::events::{Event, Expiring};
use tally_domain::ids::CustomerId;
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::{Reward, RewardStatus};
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

pub use deliver::deliver;
pub use notices::notice_expiring;
pub use retry::{retry_due, RetryReport};

/// A change the stream carried, as the store read it from the item's images.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// A ledger entry written.
    Ledger(LedgerEntry),
    /// A reward written: its status before (`None`: new) and the reward after.
    Reward { before: Option<RewardStatus>, after: Box<Reward> },
    /// A customer's record written: their standing, and who they are.
    Profile(Box<Customer>),
    /// The expire job's notice that points expire soon.
    Notice { customer_id: CustomerId, expiring: Expiring },
}

/// One record of the stream that Tally reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub shop: ShopDomain,
    /// When the change committed (the stream's `ApproximateCreationDateTime`).
    pub committed_at: Time,
    pub change: Change,
}

impl Record {
    /// The event the record is, if it is one.
    pub fn event(&self) -> Option<Event> {
        match &self.change {
            Change::Ledger(entry) => tally_domain::events::of_ledger(&self.shop, entry),
            Change::Reward { before, after } => tally_domain::events::of_reward(*before, after, self.committed_at),
            Change::Notice { customer_id, expiring } => {
                Some(tally_domain::events::expiring_soon(&self.shop, *customer_id, *expiring, self.committed_at))
            }
            Change::Profile(_) => None,
        }
    }
}

/// What a batch of records came to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Delivered {
    pub events: usize,
    /// Deliveries made now, to every destination.
    pub sent: usize,
    /// Deliveries left in the outbox, to try again later.
    pub held: usize,
    /// Deliveries a destination refused: dead letters.
    pub dead: usize,
    /// The first record (by its place in the batch) whose deliveries could neither be made nor held: the
    /// store failed. The stream gives it, and every record after it, again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed_at: Option<usize>,
}

impl Delivered {
    fn add(&mut self, other: Delivered) {
        self.events += other.events;
        self.sent += other.sent;
        self.held += other.held;
        self.dead += other.dead;
        self.failed(other.failed_at);
    }

    fn failed(&mut self, at: Option<usize>) {
        self.failed_at = match (self.failed_at, at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

/// What goes to one destination, as the outbox keeps it (JSON) while it waits.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "camelCase")]
pub enum Outgoing {
    /// The event's JSON with the customer by id alone (`wire::with_customer` puts them back when sent).
    Bus {
        customer_id: u64,
        detail_type: String,
        detail: String,
    },
    Klaviyo {
        customer_id: u64,
        metric: String,
        #[serde(with = "time::serde::rfc3339")]
        time: Time,
        properties: String,
    },
    Flow {
        handle: String,
        payload: String,
    },
    /// The customer's standing, read afresh when it is tried again.
    Metafield {
        customer_id: u64,
    },
}
