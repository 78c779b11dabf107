//! Points about to expire: each customer with a lot ending within the shop's notice period
//! (`ShopSettings::expiry_notice_days`) gets one notice per day of expiry, whose item the stream turns into
//! `points.expiring_soon`. The shop keeps how far its notices have gone, so that each day's listing is read
//! once, whenever the runs come.

use std::time::Instant;

use tally_domain::events::Expiring;
use tally_domain::shop::Shop;
use tally_domain::Time;

use crate::jobs;
use crate::ports::events::EventStore;
use crate::ports::store::{Created, Customers, Listings, StoreError};
use crate::ports::Store;
use crate::Deps;

const PAGE: usize = 100;

/// Notices the shop's points expiring by `at` plus its notice period; returns how many were new. Stops at
/// `deadline` without moving its mark: the next run reads the same days again, and what was noticed stays.
pub async fn notice_expiring<S: Store + EventStore, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    at: Time,
    deadline: Option<Instant>,
) -> Result<usize, StoreError> {
    let days = shop.settings.expiry_notice_days;
    if days == 0 {
        return Ok(0);
    }
    let until = at.date().saturating_add(time::Duration::days(days.into()));
    let since = deps.store.noticed_through(&shop.domain).await?.map_or(at.date(), |done| done.max(at.date()));
    if since >= until {
        return Ok(0);
    }
    let store = deps.store.shop(&shop.domain);
    let (mut after, mut noticed) = (None, 0);
    loop {
        if jobs::out_of_time(deadline) {
            return Ok(noticed);
        }
        let page = store.lots_due(Some(since), until, after.as_ref(), PAGE).await?;
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
    deps.store.set_noticed_through(&shop.domain, until).await?;
    Ok(noticed)
}
