//! The fake store's listings: what the jobs visit, a page at a time, in the order the DynamoDB store pages
//! them (a partition at a time, each by the listing's time and the id).

use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::reward::{Listing, Reward};
use tally_domain::{rfc3339, Time};

use super::store::FakeShopStore;
use crate::ports::store::*;

impl FakeShopStore<'_> {
    /// A page of a listing, as the index pages it: a partition at a time (`LISTING_PARTITIONS`), each by the
    /// listing's time as written, then the id as text.
    fn listed(
        &self,
        wanted: impl Fn(Listing) -> Option<Time>,
        before: Option<Time>,
        after: Option<&Position>,
        limit: usize,
    ) -> Page<Reward> {
        let found: Vec<(usize, String, Reward)> = self.with(|data| {
            let listed = data.rewards.values().filter_map(|r| Some((wanted(r.listing()?)?, r.clone())));
            let due = listed.filter(|(at, _)| before.is_none_or(|b| *at <= b));
            due.map(|(at, r)| (1 + listing_shard(r.id.get()) as usize, format!("{}#{}", rfc3339(at), r.id), r))
                .collect()
        });
        sharded_page(found, after, limit)
    }
}

impl Listings for FakeShopStore<'_> {
    async fn pending(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        Ok(self.listed(|l| if let Listing::Pending(at) = l { Some(at) } else { None }, Some(before), after, limit))
    }

    async fn in_review(&self) -> StoreResult<Vec<Reward>> {
        let (mut all, mut after) = (Vec::new(), None);
        loop {
            let review = |l| if let Listing::Review(at) = l { Some(at) } else { None };
            let page = self.listed(review, None, after.as_ref(), usize::MAX);
            all.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => return Ok(all),
            }
        }
    }

    async fn expiring(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        Ok(self.listed(|l| if let Listing::Expiring(at) = l { Some(at) } else { None }, Some(before), after, limit))
    }

    async fn refunding(&self, before: Time, after: Option<&Position>, limit: usize) -> StoreResult<Page<Reward>> {
        Ok(self.listed(|l| if let Listing::Refunding(at) = l { Some(at) } else { None }, Some(before), after, limit))
    }

    async fn lots_due(
        &self,
        since: Option<time::Date>,
        day: time::Date,
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<Page<(CustomerId, time::Date)>> {
        let found = self.with(|data| {
            let due = data.lot_listings.iter().filter(|(d, _)| *d <= day && since.is_none_or(|since| *d > since));
            due.map(|(d, c)| (1 + listing_shard(c.get()) as usize, format!("{d}#{:020}", c.get()), (*c, *d))).collect()
        });
        Ok(sharded_page(found, after, limit))
    }

    async fn customers_page(&self, after: Option<&Position>, limit: usize) -> StoreResult<Page<CustomerId>> {
        let found = self.with(|data| data.customer_list.iter().map(|c| (format!("{:020}", c.get()), *c)).collect());
        Ok(page(found, after, limit))
    }

    async fn journal(
        &self,
        since: Option<Time>,
        until: Time,
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<Page<(CustomerId, RewardId)>> {
        let found = self.with(|data| {
            let made = data.journal.iter().filter(|(at, _, _)| *at <= until && since.is_none_or(|since| *at > since));
            let position = |at: &Time, id: &RewardId| format!("{}#{:020}", at.unix_timestamp_nanos(), id.get());
            made.map(|(at, c, r)| (1 + listing_shard(r.get()) as usize, position(at, r), (*c, *r))).collect()
        });
        Ok(sharded_page(found, after, limit))
    }

    async fn journal_read_to(&self) -> StoreResult<Option<Time>> {
        Ok(self.with(|data| data.journal_read_to))
    }

    async fn set_journal_read_to(&self, to: Time) -> StoreResult<()> {
        self.with(|data| data.journal_read_to = Some(to));
        Ok(())
    }
}

/// The page of a listing spread over partitions that `after` is in (the first when `None`): its first
/// `limit` after `after`, and where the next page begins, in this partition or at the start of the next.
fn sharded_page<T>(found: Vec<(usize, String, T)>, after: Option<&Position>, limit: usize) -> Page<T> {
    let (index, within) = after.map(Position::partition).unwrap_or((0, ""));
    let here = found.into_iter().filter(|(i, _, _)| *i == index).map(|(_, at, item)| (at, item)).collect();
    let within = (!within.is_empty()).then(|| Position(within.to_string()));
    let page = page(here, within.as_ref(), limit);
    let next = match page.next {
        Some(Position(at)) => Some(Position::in_partition(index, &at)),
        None => (index + 1 < LISTING_PARTITIONS).then(|| Position::in_partition(index + 1, "")),
    };
    Page { items: page.items, next }
}

/// The first `limit` of `found` after `after`, by position, and the position of the last when more follow.
fn page<T>(mut found: Vec<(String, T)>, after: Option<&Position>, limit: usize) -> Page<T> {
    found.retain(|(position, _)| after.is_none_or(|after| position.as_str() > after.0.as_str()));
    found.sort_by(|a, b| a.0.cmp(&b.0));
    let more = found.len() > limit;
    found.truncate(limit);
    let next = if more { found.last().map(|(position, _)| Position(position.clone())) } else { None };
    Page { items: found.into_iter().map(|(_, item)| item).collect(), next }
}
