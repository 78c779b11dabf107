//! What the scheduled jobs share: one run at a time, a run bounded by the time its Lambda has (the next run
//! picks up what is left), and the shops to visit.

use std::future::Future;
use std::time::{Duration, Instant};

use tally_domain::error::Missing;
use tally_domain::shop::{Shop, ShopDomain, ShopStatus};

use crate::error::Unavailable;
use crate::ports::store::{Held, ShopRecords};
use crate::ports::Store;
use crate::Deps;

/// A job stops starting work when less than this is left: enough to finish what it started.
const WIND_DOWN: Duration = Duration::from_secs(20);
/// How long a run holds its job without a deadline of its own (run by hand).
pub const HOLD: Duration = Duration::from_secs(300);

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

/// The shop a job is asked to visit, or every shop; a shop that uninstalled the app is passed by.
pub(crate) async fn shops<S: Store, H>(
    deps: &Deps<S, H>,
    only_shop: Option<&ShopDomain>,
) -> Result<Vec<Shop>, JobError> {
    let mut shops = match only_shop {
        Some(domain) => {
            let shop = deps.store.shop(domain).get().await?;
            vec![shop.ok_or_else(|| Missing::Shop(domain.clone()))?]
        }
        None => deps.store.shops().await?,
    };
    shops.retain(|shop| shop.status == ShopStatus::Active);
    Ok(shops)
}
