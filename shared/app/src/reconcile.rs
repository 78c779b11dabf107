//! Reconciliation: settles every reward left `PENDING` longer than a grace period, because the Lambda
//! that took its points died or lost Shopify's answer (see `settle`), and every refund left halfway.

use std::time::{Duration, Instant};

use tally_domain::reward::{Reward, RewardKind, RewardStatus};
use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

use crate::balance::{change_reward, plain, Decided};
use crate::codes::{self, Code};
use crate::error::Unavailable;
use crate::jobs::{self, JobError};
use crate::ports::store::Listings;
use crate::ports::{Shopify, Store};
use crate::refund::{DEFAULT_REASON, IN_FLIGHT};
use crate::settle::settle_pending;
use crate::{access, Deps};

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub shops: usize,
    pub pending: usize,
    /// Found in Shopify: now `UNUSED`.
    pub issued: usize,
    /// Not in Shopify: points given back, now `FAILED`.
    pub failed: usize,
    /// Store credit whose outcome cannot be known: left for an operator.
    pub marked_for_review: usize,
    /// Shopify could not be asked: left for the next run.
    pub still_pending: usize,
    /// Refunds that stopped after the code was deactivated: finished, the points returned.
    pub refunds_finished: usize,
    /// Refunds that stopped before the code was deactivated: taken back, the reward unused again.
    pub refunds_abandoned: usize,
    /// Rewards waiting for an operator's decision, in the shops visited.
    pub in_review: usize,
    /// Shops or rewards that failed, each logged; the next run tries them again.
    pub errors: usize,
    /// The run stopped for time with work left, for the next run.
    pub unfinished: bool,
    /// Another run held the job: this one did nothing.
    pub skipped: bool,
}

/// Settles the pending rewards (and the refunds left halfway) of one shop, or of every shop, older than
/// `grace` at `at` (now, except in tests), within `deadline`. A refund is left alone while it may still be
/// running (`refund::IN_FLIGHT`), whatever the grace. One shop's failure, or one reward's, stops nothing else.
pub async fn reconcile<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
    grace: Duration,
    at: Time,
    deadline: Option<Instant>,
) -> Result<ReconcileReport, JobError> {
    // One lock per job, whether a run visits one shop or all: runs never overlap.
    let run = jobs::exclusively(deps, "reconcile", deadline, async {
        let shops = jobs::shops(deps, only_shop).await?;
        let mut report = ReconcileReport { shops: shops.len(), ..ReconcileReport::default() };
        for shop in &shops {
            if jobs::out_of_time(deadline) {
                report.unfinished = true;
                break;
            }
            let cutoffs = (at - grace, at - grace.max(IN_FLIGHT));
            if let Err(e) = Box::pin(reconcile_shop(deps, shop, cutoffs, deadline, &mut report)).await {
                tracing::error!(shop = %shop.domain, error = %e, "reconciliation failed for a shop");
                report.errors += 1;
            }
        }
        tracing::info!(?report, "reconciliation done");
        Ok(report)
    });
    Ok(run.await?.unwrap_or(ReconcileReport { skipped: true, ..ReconcileReport::default() }))
}

async fn reconcile_shop<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    (pending_cutoff, refund_cutoff): (Time, Time),
    deadline: Option<Instant>,
    report: &mut ReconcileReport,
) -> Result<(), Unavailable> {
    let store = deps.store.shop(&shop.domain);
    for reward in store.pending(pending_cutoff).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
        report.pending += 1;
        let id = reward.id;
        let settled = match settle_pending(deps, shop, reward, true, deadline).await {
            Ok(settled) => settled,
            Err(e) => {
                tracing::error!(shop = %shop.domain, reward_id = %id, error = %e, "could not settle a reward");
                report.errors += 1;
                continue;
            }
        };
        match (settled.status(), settled.reward_type) {
            (RewardStatus::Failed, _) => report.failed += 1,
            (RewardStatus::Pending, RewardKind::StoreCredit) if settled.review_reason().is_some() => {
                report.marked_for_review += 1
            }
            (RewardStatus::Pending, _) => report.still_pending += 1,
            _ => report.issued += 1,
        }
        tracing::info!(shop = %shop.domain, reward_id = %id, status = %settled.status(), "reconciled");
    }
    for reward in store.refunding(refund_cutoff).await? {
        if jobs::out_of_time(deadline) {
            report.unfinished = true;
            return Ok(());
        }
        let id = reward.id;
        match finish_refund(deps, shop, reward, deadline).await {
            Ok(RefundSettled::Finished) => report.refunds_finished += 1,
            Ok(RefundSettled::Abandoned) => report.refunds_abandoned += 1,
            Ok(RefundSettled::Waiting) => report.still_pending += 1,
            Err(e) => {
                tracing::error!(shop = %shop.domain, reward_id = %id, error = %e, "could not settle a refund");
                report.errors += 1;
            }
        }
    }
    report.in_review += store.in_review().await?.len();
    Ok(())
}

/// How a refund left halfway was settled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefundSettled {
    /// Its code no longer works: the refund is finished, the points returned.
    Finished,
    /// Its code still works, or an order used it: the refund is taken back.
    Abandoned,
    /// Shopify could not be asked: the next run tries again.
    Waiting,
}

/// A refund that stopped halfway, settled by what Shopify holds.
async fn finish_refund<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    deadline: Option<Instant>,
) -> Result<RefundSettled, Unavailable> {
    let Some(requested_at) = reward.refund_request().map(|request| request.at) else {
        return Ok(RefundSettled::Abandoned);
    };
    let code = match codes::in_shopify(&access::shopify(deps, shop, deadline), &reward).await {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(reward_id = %reward.id, error = %e, "could not look the code up; the refund waits");
            return Ok(RefundSettled::Waiting);
        }
    };
    let (store, now, id) = (deps.store.shop(&shop.domain), deps.now(), reward.id);
    let finished = match code {
        Code::Absent | Code::Unused { active: false, .. } => {
            let decided = change_reward(&store, reward, now, plain, |r| r.refund_finished(now, DEFAULT_REASON)).await?;
            match decided {
                Decided::Done(_) => RefundSettled::Finished,
                Decided::Declined { .. } => RefundSettled::Abandoned,
            }
        }
        Code::Used | Code::Unused { active: true, .. } => {
            change_reward(&store, reward, now, plain, |r| r.refund_abandoned(requested_at)).await?;
            RefundSettled::Abandoned
        }
    };
    tracing::info!(shop = %shop.domain, reward_id = %id, ?finished, "a refund left halfway was settled");
    Ok(finished)
}
