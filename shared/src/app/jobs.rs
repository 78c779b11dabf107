//! What the scheduled jobs share: one run at a time, a run bounded by the time its Lambda has (the next run
//! picks up what is left), and the shops to visit.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{now, Deps};
use crate::domain::error::TallyError;
use crate::domain::shop::{Shop, ShopStatus};

/// A job stops starting work when less than this is left: enough to finish what it started.
const WIND_DOWN: Duration = Duration::from_secs(20);
/// How long a run holds its job without a deadline of its own (run by hand).
const HOLD: Duration = Duration::from_secs(300);

/// Whether a run with this deadline should start no more work.
pub(crate) fn out_of_time(deadline: Option<Instant>) -> bool {
    deadline.is_some_and(|deadline| deadline.saturating_duration_since(Instant::now()) < WIND_DOWN)
}

/// Runs `work` as the only run of `job`; `None` when another run holds it.
pub(crate) async fn exclusively<T>(
    deps: &Deps,
    job: &str,
    deadline: Option<Instant>,
    work: impl Future<Output = Result<T, TallyError>>,
) -> Result<Option<T>, TallyError> {
    let hold = deadline.map_or(HOLD, |d| d.saturating_duration_since(Instant::now()));
    let started = now();
    let Some(lock) = deps.store.lock_job(job, started, started + hold).await? else {
        tracing::warn!(job, "another run holds the job; this one does nothing");
        return Ok(None);
    };
    // Boxed: a job's future is deep, and the runtime's own future should not have to hold it inline.
    let outcome = Box::pin(work).await;
    if let Err(e) = deps.store.unlock_job(&lock).await {
        tracing::warn!(job, error = %e, "could not free the job; it frees itself when its time is up");
    }
    outcome.map(Some)
}

/// The shop a job is asked to visit, or every shop; a shop that uninstalled the app is passed by.
pub(crate) async fn shops(deps: &Deps, only_shop: Option<&str>) -> Result<Vec<Shop>, TallyError> {
    let mut shops = match only_shop {
        Some(domain) => {
            let shop = deps.store.get_shop(domain).await?;
            vec![shop.ok_or_else(|| TallyError::ShopNotFound(domain.into()))?]
        }
        None => deps.store.list_shops().await?,
    };
    shops.retain(|shop| shop.status == ShopStatus::Active);
    Ok(shops)
}
