//! Deleting a shop's data, as `shop/redact` asks: the delivery only records the deletion (and is answered
//! at once), and a job does it, page by page, from where the last slice stopped: its customers first (each
//! with its rewards, ledger, codes and listings), then the shop's own items, its secrets and the shop item
//! last, and the record of the deletion after them. A slice that dies leaves a shop whose deleted customers
//! are no longer listed, so the next one goes on where it stopped; a finished deletion is not found again.

use std::time::Instant;

use tally_domain::shop::{Shop, ShopDomain, ShopStatus};

use crate::error::Unavailable;
use crate::jobs::{self, Cursor, JobError, Report, Slice, PAGE};
use crate::ports::store::{Created, Erasure, Listings, ShopRecords};
use crate::ports::Store;
use crate::Deps;

/// What a run of the deletion job did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RedactReport {
    pub shops: usize,
    pub customers_deleted: usize,
    /// Shops of which nothing is left.
    pub shops_deleted: usize,
    pub errors: usize,
    /// Shops whose deletion stopped for time, for the next slice or run.
    pub unfinished: usize,
    /// Shops another run was deleting: this one left them alone.
    pub skipped: usize,
}

impl Report for RedactReport {
    fn add(&mut self, o: Self) {
        self.shops += o.shops;
        self.customers_deleted += o.customers_deleted;
        self.shops_deleted += o.shops_deleted;
        self.errors += o.errors;
        self.unfinished += o.unfinished;
        self.skipped += o.skipped;
    }

    fn skipped() -> Self {
        RedactReport { skipped: 1, ..RedactReport::default() }
    }

    fn visited(&mut self, failed: bool) {
        self.shops += 1;
        self.errors += usize::from(failed);
    }
}

/// `shop/redact` for a shop whose app is uninstalled: the deletion is recorded, for the job. `false`
/// when it was recorded before (a repeated delivery).
pub async fn ask<S: Store, H>(deps: &Deps<S, H>, shop: &Shop) -> Result<bool, Unavailable> {
    let recorded = deps.store.shop(&shop.domain).begin_redaction(deps.now()).await?;
    tracing::warn!(shop = %shop.domain, new = recorded == Created::New, "the shop's deletion is recorded");
    Ok(recorded == Created::New)
}

/// The shops whose deletion is to be done.
pub async fn plan<S: Store, H>(deps: &Deps<S, H>) -> Result<Vec<ShopDomain>, JobError> {
    Ok(deps.store.redactions().await?)
}

/// Every recorded deletion, in this process, within `deadline`.
pub async fn redact<S: Store, H>(deps: &Deps<S, H>, deadline: Option<Instant>) -> Result<RedactReport, JobError> {
    let report = jobs::run_over(plan(deps).await?, deadline, |domain, cursor| async move {
        redact_slice(deps, &domain, cursor, deadline).await
    })
    .await?;
    tracing::info!(?report, "shop deletions done");
    Ok(report)
}

/// The phases of a shop's deletion.
const CUSTOMERS: u8 = 0;

/// One slice of a shop's deletion, from `cursor`, until it is finished or `deadline` is near.
pub async fn redact_slice<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    cursor: Option<Cursor>,
    deadline: Option<Instant>,
) -> Result<Slice<RedactReport>, JobError> {
    let work = async { Ok(Box::pin(delete_pages(deps, domain, cursor.unwrap_or_default(), deadline)).await?) };
    let run = jobs::exclusively(deps, &format!("redact#{domain}"), deadline, work).await?;
    Ok(run.unwrap_or(Slice { report: RedactReport::skipped(), next: None }))
}

async fn delete_pages<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    mut cursor: Cursor,
    deadline: Option<Instant>,
) -> Result<Slice<RedactReport>, Unavailable> {
    let store = deps.store.shop(domain);
    let mut report = RedactReport::default();
    // Connected again since the deletion was asked: the shop is kept, and the deletion forgotten.
    if store.get().await?.is_some_and(|shop| shop.status != ShopStatus::Uninstalled) {
        tracing::warn!(shop = %domain, "the shop was connected again; its deletion is called off");
        store.end_redaction().await?;
        return Ok(Slice { report, next: None });
    }
    // Whatever a cursor says, the shop's own items go only once no customer is left.
    if cursor.phase != CUSTOMERS && !store.customers_page(None, 1).await?.items.is_empty() {
        cursor = Cursor::default();
    }
    while cursor.phase == CUSTOMERS {
        // A deleted customer leaves the listing; out of time mid-page, the next slice reads it again.
        let page = store.customers_page(cursor.after.as_ref(), PAGE).await?;
        for customer in page.items {
            if jobs::out_of_time(deadline) {
                report.unfinished = 1;
                return Ok(Slice { report, next: Some(cursor) });
            }
            Box::pin(store.delete_customer(customer)).await?;
            report.customers_deleted += 1;
        }
        cursor = match page.next {
            Some(after) => Cursor { after: Some(after), ..cursor },
            None => cursor.next_phase(),
        };
    }
    if jobs::out_of_time(deadline) {
        report.unfinished = 1;
        return Ok(Slice { report, next: Some(cursor) });
    }
    // The shop's own items, its secrets and the shop item last; then the record that asked for it all.
    if store.get().await?.is_some() {
        Box::pin(store.delete_shop()).await?;
    }
    store.end_redaction().await?;
    report.shops_deleted = 1;
    tracing::warn!(shop = %domain, "every item of the shop was deleted");
    Ok(Slice { report, next: None })
}
