//! What the scheduled jobs share. A run fans out: one piece of work per shop (`plan`), each done in
//! slices (a Lambda invocation each, in AWS a Step Functions Map iteration) that page through the shop's
//! listings from a saved `Cursor` until none is left, so that no shop waits for another and no run holds
//! more than a page in memory. A slice holds its shop's lock for the job: two runs never work on one shop
//! at once. Rewards that cannot be settled now are put off (`Reward::put_off`) so that they stop holding
//! the head of their listing. `run` does the same in one process, shop after shop (so that a seeded run
//! is the same run every time), for `tally-cli`, tests and local use.

use std::future::Future;
use std::time::{Duration, Instant};

use tally_domain::error::Missing;
use tally_domain::shop::{Shop, ShopDomain, ShopStatus};
use tally_domain::Time;

use crate::error::Unavailable;
use crate::ports::store::{Held, Position, ShopRecords};
use crate::ports::Store;
use crate::Deps;

/// A job stops starting work when less than this is left: enough to finish what it started.
const WIND_DOWN: Duration = Duration::from_secs(20);
/// How long a run holds its job without a deadline of its own (run by hand).
pub const HOLD: Duration = Duration::from_secs(300);
/// Items read at once from a listing.
pub const PAGE: usize = 100;
/// Shopify failing this many times in a row ends a shop's slice: the next run tries again.
pub const SHOPIFY_FAILURES: usize = 3;

/// Why a job could not run.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// It was asked to visit a shop Tally does not have.
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<crate::ports::StoreError> for JobError {
    fn from(e: crate::ports::StoreError) -> Self {
        JobError::Unavailable(e.into())
    }
}

/// Where a shop's work stands between slices: the phase (which listing) and the position in it. A job's
/// run begins with none (reconciliation and expiry then begin with the journal); a cursor of `{}` is phase
/// 0, past the journal.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Cursor {
    #[serde(default)]
    pub phase: u8,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<Position>,
    /// The walk of the journal under way (`journal::list_all`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub walk: Option<Walk>,
}

/// A walk of the journal, kept from slice to slice: the time it reads to, and how far it may mark the
/// journal read once it ends, both fixed when it began, so that every partition is read to the same time;
/// a reward that could not be listed keeps the mark before it (and a page that could not be read, where
/// it was).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Walk {
    #[serde(with = "time::serde::rfc3339")]
    pub until: Time,
    #[serde(with = "time::serde::rfc3339")]
    pub mark_to: Time,
}

impl Cursor {
    /// The start of the phase after this one.
    pub fn next_phase(&self) -> Cursor {
        Cursor { phase: self.phase.saturating_add(1), after: None, walk: None }
    }
}

/// What one slice of a shop's work did, and where the next slice begins: `None` when the shop is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slice<R> {
    pub report: R,
    pub next: Option<Cursor>,
}

/// A job's report: slices' reports add up to a shop's, shops' to a run's.
pub trait Report: Default {
    fn add(&mut self, other: Self);
    /// The report of a slice that found its shop's lock held: it did nothing.
    fn skipped() -> Self;
    /// Counts a shop visited by a run; `failed` when its work failed (logged; the next run tries again).
    fn visited(&mut self, failed: bool);
}

/// Whether a run with this deadline should start no more work.
pub(crate) fn out_of_time(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| deadline.saturating_duration_since(Instant::now()) < WIND_DOWN)
}

/// Runs `work` as the only run of `job`; `None` when another run holds it.
pub(crate) async fn exclusively<S: Store, H, T>(
    deps: &Deps<S, H>,
    job: &str,
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, JobError>>,
) -> Result<Option<T>, JobError> {
    let hold = deadline.map_or(HOLD, |d| d.saturating_duration_since(Instant::now()));
    let (started, token) = (deps.now(), deps.draw_token());
    if deps.store.lock_job(job, &token, started, started + hold).await? == Held::Elsewhere {
        tracing::warn!(job, "another run holds the job; this one does nothing");
        return Ok(None);
    }
    // Boxed: a job's future is deep, and the runtime's own future should not have to hold it inline.
    let outcome = Box::pin(work).await;
    if let Err(e) = deps.store.unlock_job(job, &token).await {
        tracing::warn!(job, error = %e, "could not free the job; it frees itself when its time is up");
    }
    outcome.map(Some)
}

/// One slice of `job` for the shop, under the shop's lock for the job; a shop that is not active (it
/// uninstalled the app) is done at once.
pub(crate) async fn slice<S: Store, H, R: Report, F: Future<Output = Result<Slice<R>, Unavailable>>>(
    deps: &Deps<S, H>,
    job: &str,
    domain: &ShopDomain,
    deadline: Option<Instant>,
    work: impl FnOnce(Shop) -> F,
) -> Result<Slice<R>, JobError> {
    let shop = deps.store.shop(domain).get().await?.ok_or_else(|| Missing::Shop(domain.clone()))?;
    if shop.status != ShopStatus::Active {
        return Ok(Slice { report: R::default(), next: None });
    }
    let run = exclusively(deps, &format!("{job}#{domain}"), deadline, async { Ok(work(shop).await?) }).await?;
    Ok(run.unwrap_or(Slice { report: R::skipped(), next: None }))
}

/// The work of a run: the shop asked for, or every active shop.
pub async fn plan<S: Store, H>(deps: &Deps<S, H>, only_shop: Option<&ShopDomain>) -> Result<Vec<ShopDomain>, JobError> {
    let shops = match only_shop {
        Some(domain) => {
            let shop = deps.store.shop(domain).get().await?;
            vec![shop.ok_or_else(|| Missing::Shop(domain.clone()))?]
        }
        None => deps.store.shops().await?,
    };
    Ok(shops.into_iter().filter(|shop| shop.status == ShopStatus::Active).map(|shop| shop.domain).collect())
}

/// A whole run in this process: the shops of `plan` one after the other, each slice after slice until it
/// is done or `deadline` comes (its report then says so). A shop that failed is logged and counted, and
/// stops no other.
pub async fn run<S, H, R, F>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
    deadline: Option<Instant>,
    slice: impl Fn(ShopDomain, Option<Cursor>) -> F,
) -> Result<R, JobError>
where
    S: Store,
    R: Report,
    F: Future<Output = Result<Slice<R>, JobError>>,
{
    run_over(plan(deps, only_shop).await?, deadline, slice).await
}

/// The same over the shops given.
pub async fn run_over<R, F>(
    shops: Vec<ShopDomain>,
    deadline: Option<Instant>,
    slice: impl Fn(ShopDomain, Option<Cursor>) -> F,
) -> Result<R, JobError>
where
    R: Report,
    F: Future<Output = Result<Slice<R>, JobError>>,
{
    let mut total = R::default();
    for domain in shops {
        let mut cursor = None;
        loop {
            match Box::pin(slice(domain.clone(), cursor)).await {
                Ok(done) => {
                    total.add(done.report);
                    match done.next {
                        None => break total.visited(false),
                        Some(_) if out_of_time(deadline) => break total.visited(false),
                        next => cursor = next,
                    }
                }
                Err(e) => {
                    tracing::error!(shop = %domain, error = %e, "a job failed for a shop");
                    break total.visited(true);
                }
            }
        }
    }
    Ok(total)
}
