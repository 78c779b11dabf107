//! Points about to expire: each customer with a lot ending within the shop's notice period
//! (`ShopSettings::expiry_notice_days`) gets one notice per day of expiry, whose item the stream turns into
//! `points.expiring_soon`. Once a day, the window from tomorrow to the period's end is read again (so that
//! points given or returned since are noticed too; a notice already given is not given twice), and the
//! shop's mark keeps where a pass that ran out of time goes on.

use std::time::Instant;

use tally_domain::events::Expiring;
use tally_domain::shop::{Shop, ShopStatus};
use tally_domain::Time;

use crate::jobs;
use crate::ports::events::{EventStore, NoticeMark};
use crate::ports::store::{Created, Customers, Listings, StoreError};
use crate::ports::Store;
use crate::Deps;

const PAGE: usize = 100;

/// Notices the shop's points expiring after `at`'s day and within its notice period; returns how many
/// notices were new. Stops when `deadline` is near, keeping its place for the next run.
pub async fn notice_expiring<S: Store + EventStore, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    at: Time,
    deadline: Option<Instant>,
) -> Result<usize, StoreError> {
    let days = shop.settings.expiry_notice_days;
    let today = at.date();
    let mark = deps.store.notice_mark(&shop.domain).await?;
    // An uninstalled app tells nobody anything, as the jobs pass its shop by.
    let off = days == 0 || shop.status != ShopStatus::Active;
    if off || mark.as_ref().is_some_and(|m| m.day == today && m.done) {
        return Ok(0);
    }
    let until = today.saturating_add(time::Duration::days(days.into()));
    let store = deps.store.shop(&shop.domain);
    let mut after = mark.filter(|m| m.day == today).and_then(|m| m.after);
    let mut noticed = 0;
    loop {
        if jobs::out_of_time(deadline) {
            deps.store.set_notice_mark(&shop.domain, &NoticeMark { day: today, after, done: false }).await?;
            return Ok(noticed);
        }
        let page = store.lots_due(Some(today), until, after.as_ref(), PAGE).await?;
        for (customer_id, day) in page.items {
            let Some(customer) = store.customer(customer_id).await? else { continue };
            let on_day = customer.lots.iter().filter(|l| l.expires_at.is_some_and(|e| e.date() == day));
            let (points, ends) = on_day.fold((0, None), |(sum, _), l| (sum + l.points, l.expires_at));
            let Some(ends) = ends.filter(|_| points > 0) else { continue };
            let expiring = Expiring { points, at: ends };
            if deps.store.notice_expiring(&shop.domain, customer_id, expiring, at).await? == Created::New {
                noticed += 1;
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    deps.store.set_notice_mark(&shop.domain, &NoticeMark { day: today, after: None, done: true }).await?;
    Ok(noticed)
}
