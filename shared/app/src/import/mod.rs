//! Moving a live program in: rules under the ids they had, customers with every identifier, their tier,
//! their status and their balance as lots. Each record is imported on its own and exactly once: a second
//! run, or a run after a crash, finds what is there and does only what is missing. Nothing is decided here
//! that the domain does not decide for every other change (an identifier held by another customer, a balance
//! past what JavaScript reads exactly).

use tally_domain::customer::{Customer, CustomerStatus, Enrollment, IdentityKind};
use tally_domain::error::Refused;
use tally_domain::ledger::{BalanceChange, LedgerKind};
use tally_domain::rule::RuleAlias;
use tally_domain::shop::Shop;
use tally_domain::Time;

use crate::error::Unavailable;
use crate::ports::store::{Customers, Ledgers, Writes};
use crate::ports::write::IdentityWrite;
use crate::ports::{Committed, CustomerWrite, Rejection, Store, Write};
use crate::Deps;

mod rewards;
mod rules;

pub use rewards::{reward, RewardRefused};
pub use rules::{rule, ImportedRule};

/// The reason an imported balance's ledger entries give; how a later run knows them for its own.
pub const IMPORT_REASON: &str = "imported";

/// A customer as the program they come from knew them.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedCustomer {
    pub enrollment: Enrollment,
    pub status: CustomerStatus,
    /// Their balance, by when it expires, in the order it is credited.
    pub lots: Vec<ImportedLot>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImportedLot {
    pub points: i64,
    pub expires_at: Option<Time>,
}

/// What importing one record did (or, in a dry run, would do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    Done,
    /// It was there already, as an earlier run left it.
    AlreadyThere,
    Refused(ImportRefused),
}

/// Why a record is not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportRefused {
    #[error("rule {0} exists with other terms")]
    RuleIdTaken(u64),
    #[error("rule {0} was deleted in Tally, and its id is not given again")]
    RuleIdDeleted(u64),
    #[error("{0} was imported as rule {1}, which now has other terms or was deleted")]
    AliasTaken(RuleAlias, u64),
    #[error("the customer is in Tally already, with points of their own")]
    HistoryOfItsOwn,
    #[error("another customer has this {}", word(*.0))]
    IdentityInUse(IdentityKind),
    #[error("{0}")]
    Balance(Refused),
    #[error("the shop is not connected to Tally")]
    NoShop,
    #[error("{0}")]
    Reward(RewardRefused),
}

fn word(kind: IdentityKind) -> &'static str {
    match kind {
        IdentityKind::Email => "email",
        IdentityKind::Phone => "phone",
        IdentityKind::ExternalId => "external id",
    }
}

/// Imports a customer: enrolled with their identifiers, then each lot credited in order, then their tier and
/// status (last, so that an excluded customer's points still come in). A customer Tally has already is taken
/// up where an earlier run left them, if their ledger begins with the import's lots, those credited so far,
/// and holds nothing else before them; each write is made on the record as read, so two runs at once, or
/// the customer twice in a file, credit each lot once.
pub async fn customer<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    imported: ImportedCustomer,
    dry_run: bool,
) -> Result<Imported, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let at = deps.now();
    let id = imported.enrollment.customer_id;
    let mut wrote = false;
    let mut customer = match store.customer(id).await? {
        Some(existing) => existing,
        None if dry_run => return identities_free(&store, &imported.enrollment).await,
        None => match enroll(&store, &imported, at).await? {
            Ok(customer) => {
                crate::crash_point(&format!("import-enrolled-{id}"));
                wrote = true;
                customer
            }
            Err(refused) => return Ok(Imported::Refused(refused)),
        },
    };
    for _ in 0..=imported.lots.len() + MAX_REREADS {
        let credited = match credited_lots(&store, &customer, &imported.lots).await? {
            Credited::Lots(credited) => credited,
            Credited::Foreign => return Ok(Imported::Refused(ImportRefused::HistoryOfItsOwn)),
            // A customer with points of their own since the import has lived in Tally: theirs to keep.
            Credited::LivedSince => return Ok(Imported::AlreadyThere),
        };
        let Some(lot) = imported.lots.get(credited) else {
            return standing(&store, customer, &imported, at, dry_run, wrote).await;
        };
        if dry_run {
            return Ok(Imported::Done);
        }
        let change = BalanceChange::adjust(lot.points, IMPORT_REASON).expiring(lot.expires_at);
        let applied = match customer.apply(&change, at) {
            Ok(applied) => applied,
            Err(refused) => return Ok(Imported::Refused(ImportRefused::Balance(refused))),
        };
        customer = match store.commit(Write::customer(CustomerWrite::Changed(applied.clone()))).await? {
            Committed::Done => {
                wrote = true;
                applied.customer
            }
            // Written meanwhile (another run, the customer again in the file, a write retried after it
            // landed): read again, and count again what is in.
            Committed::Rejected(_) => store.customer(id).await?.ok_or(Unavailable::Busy)?,
        };
    }
    Err(Unavailable::Busy)
}

/// Rereads allowed beyond one per lot before a customer's import gives up for this run.
const MAX_REREADS: usize = 3;

/// The last step: the tier and status the customer had, where they differ (read again if another run
/// wrote the record meanwhile).
async fn standing(
    store: &(impl Writes + Customers),
    mut customer: Customer,
    imported: &ImportedCustomer,
    at: Time,
    dry_run: bool,
    wrote: bool,
) -> Result<Imported, Unavailable> {
    let tier = imported.enrollment.vip_tier.clone();
    for _ in 0..=MAX_REREADS {
        if customer.status == imported.status && customer.vip_tier == tier {
            return Ok(if wrote { Imported::Done } else { Imported::AlreadyThere });
        }
        if dry_run {
            return Ok(Imported::Done);
        }
        let next = customer.with_standing(imported.status, tier.clone(), at);
        let write = Write::customer(CustomerWrite::Replaced { customer: next, read_version: customer.version });
        match store.commit(write).await? {
            Committed::Done => return Ok(Imported::Done),
            Committed::Rejected(_) => {
                customer = store.customer(customer.customer_id).await?.ok_or(Unavailable::Busy)?;
            }
        }
    }
    Err(Unavailable::Busy)
}

/// What a customer's ledger says of the import's lots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credited {
    /// The first this many lots are in, and nothing else but points expiring.
    Lots(usize),
    /// Every lot is in, and the customer has had points of their own since.
    LivedSince,
    /// The ledger begins with points of the customer's own: not the import's to add to.
    Foreign,
}

/// Reads the beginning of the customer's ledger (one bounded read: at most two entries a lot, as each lot
/// may have expired since) and matches it with the lots, in order, passing over points that expired.
async fn credited_lots(
    store: &impl Ledgers,
    customer: &Customer,
    lots: &[ImportedLot],
) -> Result<Credited, Unavailable> {
    if customer.seq == 0 {
        return Ok(Credited::Lots(0));
    }
    let read = customer.seq.min(2 * lots.len() as u64 + 2);
    // The entries numbered 1 to `read`, newest first.
    let (mut first, _) = store.ledger_page(customer.customer_id, Some(read + 1), read as usize).await?;
    first.reverse();
    let mut matched = 0;
    for entry in &first {
        if entry.kind == LedgerKind::PointsExpired {
            continue;
        }
        let ours = lots.get(matched).is_some_and(|lot| entry.reason == IMPORT_REASON && entry.delta == lot.points);
        if !ours {
            return Ok(if matched == lots.len() { Credited::LivedSince } else { Credited::Foreign });
        }
        matched += 1;
    }
    // Entries past those read are the customer's own, once every lot is in.
    Ok(match customer.seq > read {
        true if matched == lots.len() => Credited::LivedSince,
        true => Credited::Foreign,
        false => Credited::Lots(matched),
    })
}

/// The customer enrolled with their identifiers claimed and their tier, in one write (their status comes
/// last).
async fn enroll(
    store: &(impl Writes + Customers),
    imported: &ImportedCustomer,
    at: Time,
) -> Result<Result<Customer, ImportRefused>, Unavailable> {
    let enrollment = imported.enrollment.clone();
    let id = enrollment.customer_id;
    let claims = enrollment.identities().into_iter().map(|i| IdentityWrite::Claim(i, id)).collect();
    let Ok((customer, _)) = enrollment.apply(None, at) else { return Err(Unavailable::Busy) };
    let write = Write { identities: claims, ..Write::customer(CustomerWrite::Enrolled(customer.clone())) };
    match store.commit(write).await? {
        Committed::Done => Ok(Ok(customer)),
        Committed::Rejected(Rejection::Identity(kind)) => Ok(Err(ImportRefused::IdentityInUse(kind))),
        // Enrolled meanwhile (a webhook, or a run racing this one): taken up from where it is.
        Committed::Rejected(_) => store.customer(id).await?.map(Ok).ok_or(Unavailable::Busy),
    }
}

/// What a dry run says of a new customer: whether their identifiers are free.
async fn identities_free(store: &impl Customers, enrollment: &Enrollment) -> Result<Imported, Unavailable> {
    for identity in enrollment.identities() {
        if store.owner(&identity).await?.is_some_and(|owner| owner != enrollment.customer_id) {
            return Ok(Imported::Refused(ImportRefused::IdentityInUse(identity.kind())));
        }
    }
    Ok(Imported::Done)
}
