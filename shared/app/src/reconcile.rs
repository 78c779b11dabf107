//! Reconciliation: settles every reward left `PENDING` longer than a grace period, because the Lambda
//! that took its points died or lost Shopify's answer (see `settle`), and every refund left halfway.

use std::time::{Duration, Instant};

use tally_domain::reward::{Reward, RewardKind, RewardStatus};
use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

use crate::balance::{change_reward, plain, Decided};
use crate::codes::{self, Code};
use crate::error::Unavailable;
use crate::jobs::{self, Cursor, JobError, Report, Slice, PAGE, SHOPIFY_FAILURES};
use crate::journal;
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
    /// Shopify could not be asked: put off, for a later run.
    pub still_pending: usize,
    /// Rewards put off, to be visited again later (`Reward::put_off`).
    pub put_off: usize,
    /// Refunds that stopped after the code was deactivated: finished, the points returned.
    pub refunds_finished: usize,
    /// Refunds that stopped before the code was deactivated: taken back, the reward unused again.
    pub refunds_abandoned: usize,
    /// Rewards waiting for an operator's decision, in the shops visited.
    pub in_review: usize,
    /// Shops or rewards that failed, each logged; the next run tries them again.
    pub errors: usize,
    /// Shops whose slice ended because Shopify kept failing: the next run tries them again.
    pub shopify_failing: usize,
    /// Shops whose work stopped for time, with work left for the next slice or run.
    pub unfinished: usize,
    /// Shops another run was working on: this one left them alone.
    pub skipped: usize,
}

impl Report for ReconcileReport {
    fn add(&mut self, o: Self) {
        self.shops += o.shops;
        self.pending += o.pending;
        self.issued += o.issued;
        self.failed += o.failed;
        self.marked_for_review += o.marked_for_review;
        self.still_pending += o.still_pending;
        self.put_off += o.put_off;
        self.refunds_finished += o.refunds_finished;
        self.refunds_abandoned += o.refunds_abandoned;
        self.in_review += o.in_review;
        self.errors += o.errors;
        self.shopify_failing += o.shopify_failing;
        self.unfinished += o.unfinished;
        self.skipped += o.skipped;
    }

    fn skipped() -> Self {
        ReconcileReport { skipped: 1, ..ReconcileReport::default() }
    }

    fn visited(&mut self, failed: bool) {
        self.shops += 1;
        self.errors += usize::from(failed);
    }
}

/// Settles the pending rewards (and the refunds left halfway) of one shop, or of every shop, older than
/// `grace` at `at` (now, except in tests), within `deadline`: the whole run in this process (`jobs::run`).
pub async fn reconcile<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
    grace: Duration,
    at: Time,
    deadline: Option<Instant>,
) -> Result<ReconcileReport, JobError> {
    let report = jobs::run(deps, only_shop, deadline, |domain, cursor| async move {
        reconcile_slice(deps, &domain, grace, at, cursor, deadline).await
    })
    .await?;
    tracing::info!(?report, "reconciliation done");
    Ok(report)
}

/// One slice of a shop's reconciliation, from `cursor`, until its work is done or `deadline` is near. A
/// refund is left alone while it may still be running (`refund::IN_FLIGHT`), whatever the grace.
pub async fn reconcile_slice<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    grace: Duration,
    at: Time,
    cursor: Option<Cursor>,
    deadline: Option<Instant>,
) -> Result<Slice<ReconcileReport>, JobError> {
    // A grace past what the calendar holds (an operator's `graceSeconds`) reaches back to the epoch.
    let back = |by: Duration| time::Duration::try_from(by).ok().and_then(|by| at.checked_sub(by));
    let cutoffs = (back(grace).unwrap_or(Time::UNIX_EPOCH), back(grace.max(IN_FLIGHT)).unwrap_or(Time::UNIX_EPOCH));
    jobs::slice(deps, "reconcile", domain, deadline, |shop| async move {
        Box::pin(reconcile_pages(deps, &shop, (at, cutoffs), cursor.unwrap_or_else(journal::start), deadline)).await
    })
    .await
}

/// The phases of a shop's reconciliation, after the journal's (`journal::JOURNAL`).
const PENDING: u8 = 0;
const REFUNDING: u8 = 1;

/// How long a reward Shopify could not settle waits before the next visit, doubled each time (at most a
/// day): the time between two scheduled runs.
const FIRST_WAIT: time::Duration = time::Duration::minutes(5);

async fn reconcile_pages<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    (at, (pending_cutoff, refund_cutoff)): (Time, (Time, Time)),
    mut cursor: Cursor,
    deadline: Option<Instant>,
) -> Result<Slice<ReconcileReport>, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let mut report = ReconcileReport::default();
    let mut failures = 0;
    // The rewards of redemptions past their grace, listed first, so that those still pending are read.
    let walk = (pending_cutoff, PENDING);
    if !journal::list_all(&store, walk, &mut cursor, (deps.now(), deadline), &mut report.errors).await? {
        report.unfinished = 1;
        return Ok(Slice { report, next: Some(cursor) });
    }
    while cursor.phase <= REFUNDING {
        if jobs::out_of_time(deadline) {
            report.unfinished = 1;
            return Ok(Slice { report, next: Some(cursor) });
        }
        let page = match cursor.phase {
            PENDING => store.pending(pending_cutoff, cursor.after.as_ref(), PAGE).await?,
            _ => store.refunding(refund_cutoff, cursor.after.as_ref(), PAGE).await?,
        };
        for reward in page.items {
            // Out of time mid-page: the next slice reads this page again; what was done left it.
            if jobs::out_of_time(deadline) {
                report.unfinished = 1;
                return Ok(Slice { report, next: Some(cursor) });
            }
            let (id, phase) = (reward.id, cursor.phase);
            let waits = match phase {
                PENDING => settle_one(deps, shop, reward, deadline, &mut report).await,
                _ => refund_one(deps, shop, reward, deadline, &mut report).await,
            };
            match waits {
                Ok(Some(reward)) => {
                    failures += 1;
                    let put_off = change_reward(&store, reward, at, plain, |r| r.put_off(at, FIRST_WAIT)).await?;
                    report.put_off += usize::from(matches!(put_off, Decided::Done(_)));
                }
                Ok(None) => failures = 0,
                Err(e) => {
                    tracing::error!(shop = %shop.domain, reward_id = %id, error = %e, "could not settle a reward");
                    report.errors += 1;
                }
            }
            if failures >= SHOPIFY_FAILURES {
                break;
            }
        }
        cursor = match page.next {
            _ if failures >= SHOPIFY_FAILURES => {
                tracing::warn!(shop = %shop.domain, "Shopify keeps failing; the shop's rewards wait for the next run");
                report.shopify_failing = 1;
                Cursor { phase: REFUNDING + 1, after: None, walk: None }
            }
            Some(after) => Cursor { after: Some(after), ..cursor },
            None => cursor.next_phase(),
        };
    }
    report.in_review += store.in_review().await?.len();
    Ok(Slice { report, next: None })
}

/// Settles one pending reward; the reward when Shopify could not be asked, to be put off.
async fn settle_one<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    deadline: Option<Instant>,
    report: &mut ReconcileReport,
) -> Result<Option<Reward>, Unavailable> {
    report.pending += 1;
    let id = reward.id;
    let settled = settle_pending(deps, shop, reward, true, deadline).await?;
    tracing::info!(shop = %shop.domain, reward_id = %id, status = %settled.status(), "reconciled");
    match (settled.status(), settled.reward_type) {
        (RewardStatus::Failed, _) => report.failed += 1,
        (RewardStatus::Pending, RewardKind::StoreCredit) if settled.review_reason().is_some() => {
            report.marked_for_review += 1
        }
        (RewardStatus::Pending, _) => {
            report.still_pending += 1;
            return Ok(Some(settled));
        }
        _ => report.issued += 1,
    }
    Ok(None)
}

/// Settles one refund left halfway; the reward when Shopify could not be asked, to be put off.
async fn refund_one<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    reward: Reward,
    deadline: Option<Instant>,
    report: &mut ReconcileReport,
) -> Result<Option<Reward>, Unavailable> {
    match finish_refund(deps, shop, reward.clone(), deadline).await? {
        RefundSettled::Finished => report.refunds_finished += 1,
        RefundSettled::Abandoned => report.refunds_abandoned += 1,
        RefundSettled::Waiting => {
            report.still_pending += 1;
            return Ok(Some(reward));
        }
    }
    Ok(None)
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
