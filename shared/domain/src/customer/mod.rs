//! Customers and their balances. A balance moves only through `Customer::apply`, which expires the lots
//! whose time has come before it takes any point, so that points never outlive their expiry.

mod enrollment;
mod identity;

pub use enrollment::{released, EnrollRefused, Enrolled, Enrollment, EnrollmentError};
pub use identity::{
    CustomerParts, CustomerRef, CustomerRefError, Email, ExternalId, Identity, IdentityKind, Phone, MAX_EXTERNAL_ID,
};

use crate::ids::CustomerId;
use crate::ledger::{BalanceChange, LedgerEntry, LedgerKind, LotChange, EXPIRED};
use crate::lots::{Lot, Lots};
use crate::refused::Refused;
use crate::{vocabulary, Time};

vocabulary! {
    pub enum CustomerStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
        Excluded = "EXCLUDED",
        ExcludedByCustomer = "EXCLUDED_BY_CUSTOMER",
    }
}

pub use crate::points::MAX_SAFE_INTEGER;

/// A customer's loyalty record. Ledger entry `n` holds the balance after the customer's `n`th change,
/// so the ledger is gapless and ordered, and the newest entry always agrees with the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub customer_id: CustomerId,
    pub email: Option<Email>,
    pub phone: Option<Phone>,
    pub external_id: Option<ExternalId>,
    pub vip_tier: Option<String>,
    pub status: CustomerStatus,
    /// What the lots hold, those past their time but not yet removed included: what the ledger sums to.
    /// What the customer can spend at a time is `available_at`.
    pub available_points: i64,
    /// Points ever given to the customer.
    pub credited_points: i64,
    /// Points ever spent on rewards (net of rewards that failed or were refunded).
    pub spent_points: i64,
    /// Points held for rewards paid for when their order arrives; not available.
    pub reserved_points: i64,
    /// The available points by when they expire.
    pub lots: Lots,
    /// The number of balance changes so far: the `seq` of the newest ledger entry.
    pub seq: u64,
    /// What the customer's rewards come to; `None` for a record saved before it was kept (it is counted
    /// from the rewards themselves then).
    pub rewards: Option<RewardTally>,
    /// Bumped by every write of the record; each write is conditioned on the version it read.
    pub version: u64,
    pub created_at: Time,
    pub updated_at: Time,
}

/// What a customer's rewards come to, kept on their record by every change that makes a reward or gives its
/// points back, so that the loyalty information needs no more than the latest rewards.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RewardTally {
    /// Every reward ever made for the customer.
    pub count: u64,
    /// What the customer's store credit rewards credited, or are crediting (all but those that failed).
    pub store_credit: rust_decimal::Decimal,
    /// How many of the rewards were made before rewards were kept in the order they were made: they are
    /// older than every other, and read whole when the newer ones do not fill a page.
    pub unordered: u64,
}

/// A change applied to a customer: the record after it, the ledger entries that record it (the change's,
/// and one for lots that expired with it), the lots it took points from, and the days on which the record
/// now has a lot that expires and had none before (for the expiry job to find).
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub customer: Customer,
    /// The version the change was made on: the write is conditioned on it.
    pub read_version: u64,
    pub entries: Vec<LedgerEntry>,
    pub taken: Vec<Lot>,
    pub new_days: Vec<time::Date>,
}

impl Customer {
    /// The customer with the status and tier another program gave them (an import): the next version.
    pub fn with_standing(&self, status: CustomerStatus, vip_tier: Option<String>, at: Time) -> Customer {
        Customer { status, vip_tier, version: self.version + 1, updated_at: at, ..self.clone() }
    }

    /// The customer holding an imported reward too (`reward::RewardImport`): counted among their rewards,
    /// its points among those they spent (a reward whose id cannot tell its time, made before ids told
    /// it, counted among those read whole). The next version; `None` past what the counts hold.
    pub fn with_imported_reward(&self, reward: &crate::reward::Reward, at: Time) -> Option<Customer> {
        let spent_points = self
            .spent_points
            .checked_add(reward.points_redeemed)
            .filter(|spent| *spent <= crate::points::MAX_SAFE_INTEGER)?;
        let unordered = u64::from(!reward.id.tells(reward.create_at));
        let rewards = self.rewards.map(|t| RewardTally { count: t.count + 1, unordered: t.unordered + unordered, ..t });
        Some(Customer { spent_points, rewards, version: self.version + 1, updated_at: at, ..self.clone() })
    }

    pub fn identity(&self, kind: IdentityKind) -> Option<Identity> {
        match kind {
            IdentityKind::Email => self.email.clone().map(Identity::Email),
            IdentityKind::Phone => self.phone.clone().map(Identity::Phone),
            IdentityKind::ExternalId => self.external_id.clone().map(Identity::ExternalId),
        }
    }

    pub fn identities(&self) -> Vec<Identity> {
        IdentityKind::ALL.into_iter().filter_map(|kind| self.identity(kind)).collect()
    }

    /// The points the customer can spend at `at`: the lots whose time has not come.
    pub fn available_at(&self, at: Time) -> i64 {
        self.available_points - (self.lots.total() - self.lots.unexpired_at(at))
    }

    /// The soonest lot that expires after `at`.
    pub fn next_expiring(&self, at: Time) -> Option<Lot> {
        self.lots.next_expiring_after(at)
    }

    /// A customer whose points may move on request: enrolled and not excluded.
    pub fn check_enrolled(&self) -> Result<(), Refused> {
        match self.status {
            CustomerStatus::Active => Ok(()),
            CustomerStatus::Inactive => Err(Refused::NotEnrolled),
            CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer => Err(Refused::Excluded),
        }
    }

    /// The record after `change` at `at`, or why it cannot be: the customer is not enrolled (for what only
    /// an enrolled customer may have), the points that have not expired do not cover it, or a counter would
    /// leave JavaScript's safe integers. Lots whose time has come leave first (and points given back to
    /// such a lot leave with it), each time with a `POINTS_EXPIRED` entry.
    pub fn apply(&self, change: &BalanceChange, at: Time) -> Result<Applied, Refused> {
        if change.needs_enrolled() {
            self.check_enrolled()?;
        }
        let mut next = self.clone();
        let mut entries = Vec::new();
        next.expire_into(at, &mut entries);
        if next.available_points < change.needs() {
            return Err(Refused::InsufficientPoints { available: next.available_points, required: change.needs() });
        }
        let taken = match &change.lots {
            LotChange::Add(expires_at) => {
                next.lots.add(change.available, *expires_at);
                vec![]
            }
            LotChange::Take => next.lots.take(-change.available),
            LotChange::Return(from) => {
                next.lots.give_back(change.available, from);
                vec![]
            }
            LotChange::Keep => vec![],
        };
        let add = |counter: i64, delta: i64| {
            counter.checked_add(delta).filter(|n| n.abs() <= MAX_SAFE_INTEGER).ok_or(Refused::BalanceTooLarge)
        };
        next.available_points = add(next.available_points, change.available)?;
        next.reserved_points = add(next.reserved_points, change.reserved)?;
        next.spent_points = add(next.spent_points, change.spent)?;
        next.credited_points = add(next.credited_points, change.credited)?;
        if let Some(tally) = next.rewards.as_mut() {
            tally.count += change.tally.made;
            tally.store_credit += change.tally.store_credit;
        }
        let entry = next.entry(change.kind, change.available, change.reserved, &change.reason, at);
        entries.push(LedgerEntry { reward_id: change.reward_id, order_id: change.order_id, ..entry });
        next.expire_into(at, &mut entries);
        Ok(self.applied(next, entries, taken, at))
    }

    /// The record with the lots expired at `at` removed, once; `None` when none has.
    pub fn expire_lots(&self, at: Time) -> Option<Applied> {
        let mut next = self.clone();
        let mut entries = Vec::new();
        next.expire_into(at, &mut entries);
        (!entries.is_empty()).then(|| self.applied(next, entries, vec![], at))
    }

    fn applied(&self, mut next: Customer, entries: Vec<LedgerEntry>, taken: Vec<Lot>, at: Time) -> Applied {
        next.version += 1;
        next.updated_at = at;
        let had = self.lots.days();
        let new_days = next.lots.days().into_iter().filter(|day| !had.contains(day)).collect();
        Applied { customer: next, read_version: self.version, entries, taken, new_days }
    }

    /// Removes the lots expired at `at`, with their ledger entry.
    fn expire_into(&mut self, at: Time, entries: &mut Vec<LedgerEntry>) {
        let expired = self.lots.expire(at);
        if expired > 0 {
            self.available_points -= expired;
            entries.push(self.entry(LedgerKind::PointsExpired, -expired, 0, EXPIRED, at));
        }
    }

    /// The next ledger entry, for a change already made to the counters.
    fn entry(&mut self, kind: LedgerKind, delta: i64, reserved_delta: i64, reason: &str, at: Time) -> LedgerEntry {
        self.seq += 1;
        LedgerEntry {
            seq: self.seq,
            customer_id: self.customer_id,
            kind,
            delta,
            reserved_delta,
            balance_after: self.available_points,
            reason: reason.into(),
            reward_id: None,
            order_id: None,
            at,
        }
    }
}

#[cfg(test)]
mod tests;
