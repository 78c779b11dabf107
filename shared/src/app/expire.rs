//! Expiry: every `UNUSED` reward past its end has its discount deactivated in Shopify and becomes
//! `EXPIRED`; a reservation is released, and an immediate reward's points come back if the shop says so.
//! Points whose lot has expired leave the balance, once each, with a ledger entry.
//! A code an order used is left for that order's webhook. One shop's failure, or one reward's, stops
//! nothing else; a run that is out of time leaves the rest to the next.

use std::time::Instant;

use super::codes::{self, Code};
use super::{jobs, Deps};
use crate::domain::error::TallyError;
use crate::domain::reward::Reward;
use crate::domain::shop::Shop;
use crate::domain::Time;

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
pub async fn expire(
    deps: &Deps,
    only_shop: Option<&str>,
    at: Time,
    deadline: Option<Instant>,
) -> Result<ExpireReport, TallyError> {
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

async fn expire_shop(
    deps: &Deps,
    shop: &Shop,
    at: Time,
    deadline: Option<Instant>,
    report: &mut ExpireReport,
) -> Result<(), TallyError> {
    for reward in deps.store.expiring_rewards(&shop.domain, at).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
        match expire_one(deps, shop, &reward, deadline).await {
            Ok(Outcome::Expired) => report.expired += 1,
            Ok(Outcome::NotNow) => {}
            Ok(Outcome::StillActive) => report.still_active += 1,
            Ok(Outcome::AwaitingOrder) => report.awaiting_order += 1,
            Err(e) => {
                tracing::error!(shop = %shop.domain, reward_id = reward.id, error = %e, "could not expire a reward");
                report.errors += 1;
            }
        }
    }
    // Then the points whose lots expired; a failure here is counted and stops nothing else.
    if let Err(e) = expire_points(deps, shop, at, deadline, report).await {
        tracing::error!(shop = %shop.domain, error = %e, "could not list the points that expire");
        report.errors += 1;
    }
    Ok(())
}

/// The shop's customers' points whose lots expired by `at`.
async fn expire_points(
    deps: &Deps,
    shop: &Shop,
    at: Time,
    deadline: Option<Instant>,
    report: &mut ExpireReport,
) -> Result<(), TallyError> {
    for (customer_id, day) in deps.store.lots_due(&shop.domain, at.date()).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
        match deps.store.expire_lots(&shop.domain, customer_id, day, at).await {
            Ok(0) => {}
            Ok(points) => {
                tracing::info!(shop = %shop.domain, customer_id, points, "points expired");
                report.points_expired += points;
                report.customers_with_points_expired += 1;
            }
            Err(e) => {
                tracing::error!(shop = %shop.domain, customer_id, error = %e, "could not expire a customer's points");
                report.errors += 1;
            }
        }
    }
    Ok(())
}

enum Outcome {
    Expired,
    /// It changed meanwhile (used, refunded): nothing to do.
    NotNow,
    StillActive,
    AwaitingOrder,
}

async fn expire_one(
    deps: &Deps,
    shop: &Shop,
    reward: &Reward,
    deadline: Option<Instant>,
) -> Result<Outcome, TallyError> {
    let shopify = super::access::shopify(deps, shop).until(deadline);
    // Shopify first: a code that still works must not outlive its reward, and one an order used is that
    // order's to settle.
    let ended = match codes::in_shopify(&shopify, reward).await {
        Ok(Code::Used) => return Ok(Outcome::AwaitingOrder),
        Ok(Code::Unused { id, active: true }) => shopify.deactivate_discount(&id).await,
        Ok(Code::Absent | Code::Unused { active: false, .. }) => Ok(()),
        Err(e) => Err(e),
    };
    if let Err(e) = ended {
        tracing::warn!(reward_id = reward.id, error = %e, "could not deactivate; next run tries again");
        return Ok(Outcome::StillActive);
    }
    let return_points = shop.settings.return_points_on_expiry;
    if !deps.store.expire_reward(&shop.domain, reward, return_points, super::now()).await? {
        return Ok(Outcome::NotNow);
    }
    tracing::info!(shop = %shop.domain, reward_id = reward.id, "reward expired");
    Ok(Outcome::Expired)
}
