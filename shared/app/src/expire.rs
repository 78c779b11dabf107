//! Expiry: every `UNUSED` reward past its end has its discount deactivated in Shopify and becomes
//! `EXPIRED`; a reservation is released, and an immediate reward's points come back if the shop says so.
//! Points whose lot has expired stopped counting at their time (`Customer::available_at`); the run
//! removes them from the balance, once each, with a ledger entry. A code an order used is left for that
//! order's webhook. One shop's failure, or one reward's, stops nothing else; a run that is out of time
//! leaves the rest to the next.

use std::time::Instant;

use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;
use tally_domain::reward::Reward;
use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

use crate::balance::{change_reward, plain, Decided};
use crate::codes::{self, Code};
use crate::error::Unavailable;
use crate::jobs::{self, JobError};
use crate::ports::store::Listings;
use crate::ports::{Committed, CustomerWrite, Rejection, ShopStore, Shopify, ShopifyShop, Store, Write};
use crate::{access, Deps};

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpireReport {
    pub shops: usize,
    pub expired: usize,
    /// Shopify could not be reached: left for the next run.
    pub still_active: usize,
    /// An order used the code in Shopify: left for that order's webhook.
    pub awaiting_order: usize,
    /// Points removed because their lot expired, and from how many customers.
    pub points_expired: i64,
    pub customers_with_points_expired: usize,
    /// Shops or rewards that failed, each logged; the next run tries them again.
    pub errors: usize,
    /// The run stopped for time with work left, for the next run.
    pub unfinished: bool,
    /// Another run held the job: this one did nothing.
    pub skipped: bool,
}

/// Expires what has ended by `at` (now, except in tests), within `deadline`.
pub async fn expire<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
    at: Time,
    deadline: Option<Instant>,
) -> Result<ExpireReport, JobError> {
    // One lock per job, whether a run visits one shop or all: runs never overlap.
    let run = jobs::exclusively(deps, "expire", deadline, async {
        let shops = jobs::shops(deps, only_shop).await?;
        let mut report = ExpireReport { shops: shops.len(), ..ExpireReport::default() };
        for shop in &shops {
            if jobs::out_of_time(deadline) {
                report.unfinished = true;
                break;
            }
            if let Err(e) = Box::pin(expire_shop(deps, shop, at, deadline, &mut report)).await {
                tracing::error!(shop = %shop.domain, error = %e, "expiry failed for a shop");
                report.errors += 1;
            }
        }
        tracing::info!(?report, "expiry done");
        Ok(report)
    });
    Ok(run.await?.unwrap_or(ExpireReport { skipped: true, ..ExpireReport::default() }))
}

async fn expire_shop<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    at: Time,
    deadline: Option<Instant>,
    report: &mut ExpireReport,
) -> Result<(), Unavailable> {
    let store = deps.store.shop(&shop.domain);
    for reward in store.expiring(at).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
        match expire_one(deps, shop, reward.clone(), deadline).await {
            Ok(Outcome::Expired) => report.expired += 1,
            Ok(Outcome::NotNow) => {}
            Ok(Outcome::StillActive) => report.still_active += 1,
            Ok(Outcome::AwaitingOrder) => report.awaiting_order += 1,
            Err(e) => {
                tracing::error!(shop = %shop.domain, reward_id = %reward.id, error = %e, "could not expire a reward");
                report.errors += 1;
            }
        }
    }
    // Then the points whose lots expired; a failure here is counted and stops nothing else.
    for (customer_id, day) in store.lots_due(at.date()).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
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
    Ok(())
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

enum Outcome {
    Expired,
    /// It changed meanwhile (used, refunded): nothing to do.
    NotNow,
    StillActive,
    AwaitingOrder,
}

async fn expire_one<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    deadline: Option<Instant>,
) -> Result<Outcome, Unavailable> {
    let shopify = access::shopify(deps, shop, deadline);
    // Shopify first: a code that still works must not outlive its reward, and one an order used is that
    // order's to settle.
    let ended = match codes::in_shopify(&shopify, &reward).await {
        Ok(Code::Used) => return Ok(Outcome::AwaitingOrder),
        Ok(Code::Unused { id, active: true }) => shopify.deactivate_discount(&id).await,
        Ok(Code::Absent | Code::Unused { active: false, .. }) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = ended {
        tracing::warn!(reward_id = %reward.id, error = %e, "could not deactivate; next run tries again");
        return Ok(Outcome::StillActive);
    }
    let return_points = shop.settings.return_points_on_expiry;
    let store = deps.store.shop(&shop.domain);
    match change_reward(&store, reward, deps.now(), plain, |r| r.expired(return_points)).await? {
        Decided::Done(reward) => {
            tracing::info!(shop = %shop.domain, reward_id = %reward.id, "reward expired");
            Ok(Outcome::Expired)
        }
        Decided::Declined { .. } => Ok(Outcome::NotNow),
    }
}
