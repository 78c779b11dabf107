//! Expiry: every `UNUSED` reward past its end has its discount deactivated in Shopify and becomes
//! `EXPIRED`; a reservation is released, and an immediate reward's points come back if the shop says so.
//! Points whose lot has expired stopped counting at their time (`Customer::available_at`); the run
//! removes them from the balance, once each, with a ledger entry. A code Shopify counts as used is settled
//! with the order that used it, looked up in Shopify. Work goes shop by shop, a page at a time (`jobs`);
//! a reward that cannot be settled now is put off, and Shopify failing again and again ends the shop's
//! slice: one shop's failure, or one reward's, stops nothing else.

use std::time::Instant;

use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;
use tally_domain::order::Order;
use tally_domain::reward::Reward;
use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

use crate::balance::{change_reward, plain, Decided};
use crate::codes::{self, Code};
use crate::error::Unavailable;
use crate::jobs::{self, Cursor, JobError, Report, Slice, PAGE, SHOPIFY_FAILURES};
use crate::journal;
use crate::ports::store::Listings;
use crate::ports::{Committed, CustomerWrite, Rejection, ShopStore, Shopify, ShopifyShop, Store, Write};
use crate::settle::DEFAULT_GRACE;
use crate::{access, orders, Deps};

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpireReport {
    pub shops: usize,
    pub expired: usize,
    /// Shopify could not be reached: put off, for a later run.
    pub still_active: usize,
    /// Shopify counts the code as used and the order that used it was not found yet: put off.
    pub awaiting_order: usize,
    /// Shopify counts the code as used and no webhook had said by which order: settled with the order
    /// Shopify names.
    pub settled_by_order: usize,
    /// Rewards put off, to be visited again later (`Reward::put_off`): the backlog that cannot be settled now.
    pub put_off: usize,
    /// Points removed because their lot expired, and from how many customers.
    pub points_expired: i64,
    pub customers_with_points_expired: usize,
    /// Shops or rewards that failed, each logged; the next run tries them again.
    pub errors: usize,
    /// Shops whose slice ended because Shopify kept failing: the next run tries them again.
    pub shopify_failing: usize,
    /// Shops whose work stopped for time, with work left for the next slice or run.
    pub unfinished: usize,
    /// Shops another run was working on: this one left them alone.
    pub skipped: usize,
}

impl Report for ExpireReport {
    fn add(&mut self, o: Self) {
        self.shops += o.shops;
        self.expired += o.expired;
        self.still_active += o.still_active;
        self.awaiting_order += o.awaiting_order;
        self.settled_by_order += o.settled_by_order;
        self.put_off += o.put_off;
        self.points_expired += o.points_expired;
        self.customers_with_points_expired += o.customers_with_points_expired;
        self.errors += o.errors;
        self.shopify_failing += o.shopify_failing;
        self.unfinished += o.unfinished;
        self.skipped += o.skipped;
    }

    fn skipped() -> Self {
        ExpireReport { skipped: 1, ..ExpireReport::default() }
    }

    fn visited(&mut self, failed: bool) {
        self.shops += 1;
        self.errors += usize::from(failed);
    }
}

/// Expires what has ended by `at` (now, except in tests) in one shop or every shop, within `deadline`:
/// the whole run in this process (`jobs::run`).
pub async fn expire<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
    at: Time,
    deadline: Option<Instant>,
) -> Result<ExpireReport, JobError> {
    let report = jobs::run(deps, only_shop, deadline, |domain, cursor| async move {
        expire_slice(deps, &domain, at, cursor, deadline).await
    })
    .await?;
    tracing::info!(?report, "expiry done");
    Ok(report)
}

/// One slice of a shop's expiry, from `cursor` (the start when `None`), until its work is done or
/// `deadline` is near; the slice's `next` says where the next one begins.
pub async fn expire_slice<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    at: Time,
    cursor: Option<Cursor>,
    deadline: Option<Instant>,
) -> Result<Slice<ExpireReport>, JobError> {
    jobs::slice(deps, "expire", domain, deadline, |shop| async move {
        Box::pin(expire_pages(deps, &shop, at, cursor.unwrap_or_else(journal::start), deadline)).await
    })
    .await
}

/// The phases of a shop's expiry, after the journal's (`journal::JOURNAL`).
const REWARDS: u8 = 0;
const LOTS: u8 = 1;

async fn expire_pages<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    at: Time,
    mut cursor: Cursor,
    deadline: Option<Instant>,
) -> Result<Slice<ExpireReport>, Unavailable> {
    let mut report = ExpireReport::default();
    let store = deps.store.shop(&shop.domain);
    let unfinished = |mut report: ExpireReport, cursor: Cursor| {
        report.unfinished = 1;
        Ok(Slice { report, next: Some(cursor) })
    };
    // The rewards of redemptions surely over, listed first, so that those already at their end are read.
    let until = at.checked_sub(time::Duration::try_from(DEFAULT_GRACE).unwrap_or_default()).unwrap_or(at);
    if !journal::list_all(&store, (until, REWARDS), &mut cursor, (deps.now(), deadline), &mut report.errors).await? {
        return unfinished(report, cursor);
    }
    let mut failures = 0;
    while cursor.phase == REWARDS {
        if jobs::out_of_time(deadline) {
            return unfinished(report, cursor);
        }
        let page = store.expiring(at, cursor.after.as_ref(), PAGE).await?;
        for reward in page.items {
            // Out of time mid-page: the next slice reads this page again; what was done left it.
            if jobs::out_of_time(deadline) {
                return unfinished(report, cursor);
            }
            let id = reward.id;
            match expire_one(deps, shop, reward, at, deadline).await {
                Ok(outcome) => {
                    failures = if outcome == Outcome::StillActive { failures + 1 } else { 0 };
                    report.count(outcome);
                }
                Err(e) => {
                    tracing::error!(shop = %shop.domain, reward_id = %id, error = %e, "could not expire a reward");
                    report.errors += 1;
                }
            }
            if failures >= SHOPIFY_FAILURES {
                tracing::warn!(shop = %shop.domain, "Shopify keeps failing; the shop's rewards wait for the next run");
                report.shopify_failing = 1;
                break;
            }
        }
        cursor = match page.next {
            Some(after) if failures < SHOPIFY_FAILURES => Cursor { after: Some(after), ..cursor },
            _ => cursor.next_phase(),
        };
    }
    // Then the points whose lots expired; a failure here is counted and stops nothing else.
    while cursor.phase == LOTS {
        if jobs::out_of_time(deadline) {
            return unfinished(report, cursor);
        }
        let page = store.lots_due(None, at.date(), cursor.after.as_ref(), PAGE).await?;
        for (customer_id, day) in page.items {
            match expire_lots(&store, customer_id, day, at).await {
                Ok(0) => {}
                Ok(points) => {
                    tracing::info!(shop = %shop.domain, %customer_id, points, "points expired");
                    report.points_expired += points;
                    report.customers_with_points_expired += 1;
                }
                Err(e) => {
                    tracing::error!(shop = %shop.domain, %customer_id, error = %e, "could not expire a customer's points");
                    report.errors += 1;
                }
            }
        }
        cursor = match page.next {
            Some(after) => Cursor { after: Some(after), ..cursor },
            None => cursor.next_phase(),
        };
    }
    Ok(Slice { report, next: None })
}

impl ExpireReport {
    fn count(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Expired => self.expired += 1,
            Outcome::NotNow => {}
            Outcome::SettledByOrder => self.settled_by_order += 1,
            Outcome::StillActive => {
                self.still_active += 1;
                self.put_off += 1;
            }
            Outcome::AwaitingOrder => {
                self.awaiting_order += 1;
                self.put_off += 1;
            }
        }
    }
}

/// Removes the customer's points whose lots have expired at `at`, once, with a ledger entry; the listing
/// of `day` goes with them when the customer has no lot that day any more, in the same write, so that
/// points given back to that day meanwhile stay listed. Returns the points removed.
pub async fn expire_lots(
    store: &impl ShopStore,
    id: CustomerId,
    day: time::Date,
    at: Time,
) -> Result<i64, Unavailable> {
    let has_day = |c: &Customer| c.lots.days().contains(&day);
    let Some(mut customer) = store.customer(id).await? else {
        store.commit(Write { unlist_lots: Some((id, day)), ..Write::default() }).await?;
        return Ok(0);
    };
    for _ in 0..10 {
        let (write, points) = match customer.expire_lots(at) {
            Some(applied) => {
                let points = -applied.entries.iter().map(|e| e.delta).sum::<i64>();
                let unlist = (!has_day(&applied.customer)).then_some((id, day));
                (Write { unlist_lots: unlist, ..Write::customer(CustomerWrite::Changed(applied)) }, points)
            }
            None if has_day(&customer) => return Ok(0),
            // Nothing to expire and no lot that day: the listing goes, if the record is still as read.
            None => {
                let unchanged = CustomerWrite::Unchanged { customer_id: id, version: customer.version };
                (Write { unlist_lots: Some((id, day)), ..Write::customer(unchanged) }, 0)
            }
        };
        match store.commit(write).await? {
            Committed::Done => return Ok(points),
            Committed::Rejected(Rejection::Customer(Some(current))) => customer = *current,
            Committed::Rejected(_) => match store.customer(id).await? {
                Some(current) => customer = current,
                None => return Ok(0),
            },
        }
    }
    Err(Unavailable::Busy)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Expired,
    /// It changed meanwhile (used, refunded): nothing to do.
    NotNow,
    /// Shopify counts its code as used: the order Shopify names used it.
    SettledByOrder,
    /// Shopify could not be reached: put off.
    StillActive,
    /// Shopify counts its code as used, and names no order yet: put off.
    AwaitingOrder,
}

/// How long a reward Shopify could not settle waits before the next visit, doubled each time (at most a
/// day): about the time between two scheduled runs.
const FIRST_WAIT: time::Duration = time::Duration::HOUR;

async fn expire_one<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    at: Time,
    deadline: Option<Instant>,
) -> Result<Outcome, Unavailable> {
    let shopify = access::shopify(deps, shop, deadline);
    let store = deps.store.shop(&shop.domain);
    // Shopify first: a code that still works must not outlive its reward, and one an order used is that
    // order's to settle.
    let ended = match codes::in_shopify(&shopify, &reward).await {
        Ok(Code::Used) => return settle_used(deps, shop, &shopify, reward, at).await,
        Ok(Code::Unused { id, active: true }) => shopify.deactivate_discount(&id).await,
        Ok(Code::Absent | Code::Unused { active: false, .. }) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = ended {
        tracing::warn!(reward_id = %reward.id, error = %e, "could not deactivate; the reward is put off");
        return put_off(&store, reward, at, Outcome::StillActive).await;
    }
    let return_points = shop.settings.return_points_on_expiry;
    match change_reward(&store, reward, deps.now(), plain, |r| r.expired(return_points)).await? {
        Decided::Done(reward) => {
            tracing::info!(shop = %shop.domain, reward_id = %reward.id, "reward expired");
            Ok(Outcome::Expired)
        }
        Decided::Declined { .. } => Ok(Outcome::NotNow),
    }
}

/// A code Shopify counts as used whose order's webhook never came: settled with the order Shopify names,
/// as that webhook would have; put off while Shopify names none.
async fn settle_used<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    shopify: &impl ShopifyShop,
    reward: Reward,
    at: Time,
) -> Result<Outcome, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let code = reward.discount_code.clone().unwrap_or_default();
    match shopify.order_using_code(&code).await {
        Ok(Some((id, state))) => {
            let order = Order { id, name: state.name, codes: state.codes };
            let outcome = orders::created(deps, shop, &order).await?;
            tracing::info!(shop = %shop.domain, reward_id = %reward.id, order_id = %id, "a used code settled with its order");
            Ok(if outcome.rewards_used > 0 { Outcome::SettledByOrder } else { Outcome::NotNow })
        }
        Ok(None) => put_off(&store, reward, at, Outcome::AwaitingOrder).await,
        Err(e) => {
            tracing::warn!(reward_id = %reward.id, error = %e, "could not look the order up; the reward is put off");
            put_off(&store, reward, at, Outcome::StillActive).await
        }
    }
}

/// Lists the reward again some time after `at`, the run's time; `then` is what the visit found.
async fn put_off(store: &impl ShopStore, reward: Reward, at: Time, then: Outcome) -> Result<Outcome, Unavailable> {
    match change_reward(store, reward, at, plain, |r| r.put_off(at, FIRST_WAIT)).await? {
        Decided::Done(_) => Ok(then),
        Decided::Declined { .. } => Ok(Outcome::NotNow),
    }
}
