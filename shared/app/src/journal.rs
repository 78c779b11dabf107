//! The redemptions' journal. A redemption lists its reward only there, in an index entry on the ledger
//! entry that paid for it, which nothing moves: so that the redemption writes the fewest index entries (its
//! reward is written again by its outcome, and a listing on it would be written again with it). The jobs
//! list each reward where it stands (`Reward::listed`) once its redemption is surely over, before they
//! read the listings: reconciliation after its grace, the expiry job before ending rewards.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::Time;

use crate::balance::{change_reward, plain};
use crate::error::Unavailable;
use crate::jobs::{self, Cursor, PAGE};
use crate::ports::store::Position;
use crate::ports::ShopStore;

/// A journal entry is in the index within this long of the time it names: the transaction that writes it
/// runs within its function's timeout (15 s), and the index follows in well under a second. The journal
/// is marked read no closer to now than this, so that no entry can appear behind the mark.
pub const SETTLED: Duration = Duration::from_secs(60);

/// How many of a page's rewards are listed at once.
const AT_ONCE: usize = 16;

/// The jobs' first phase.
pub(crate) const JOURNAL: u8 = 0;

/// The jobs' first phase, from `cursor`: the journal's rewards made at or before `until` listed, a page at a
/// time while `deadline` allows. Whether it is done (`cursor` then at the next phase).
pub(crate) async fn list_all(
    store: &impl ShopStore,
    until: Time,
    cursor: &mut Cursor,
    now: Time,
    deadline: Option<Instant>,
) -> Result<bool, Unavailable> {
    while cursor.phase == JOURNAL {
        if jobs::out_of_time(deadline) {
            return Ok(false);
        }
        *cursor = match list_page(store, until, cursor.after.as_ref(), now).await? {
            Some(after) => Cursor { after: Some(after), phase: JOURNAL },
            None => cursor.next_phase(),
        };
    }
    Ok(true)
}

/// Lists one page of the journal's rewards made at or before `until` (from `after`, where the last page
/// stopped) that are not listed yet; at `now`. Where the next page begins, or `None` when the journal is
/// read to `until`, and marked read to there (or to `SETTLED` before `now`, whichever is earlier).
async fn list_page(
    store: &impl ShopStore,
    until: Time,
    after: Option<&Position>,
    now: Time,
) -> Result<Option<Position>, Unavailable> {
    let since = store.journal_read_to().await?;
    if since.is_some_and(|since| since >= until) {
        return Ok(None);
    }
    let page = store.journal(since, until, after, PAGE).await?;
    let listed = futures::stream::iter(page.items).map(|(customer, id)| list(store, customer, id, now));
    let listed: Vec<Result<(), Unavailable>> = listed.buffer_unordered(AT_ONCE).collect().await;
    listed.into_iter().collect::<Result<(), Unavailable>>()?;
    if page.next.is_none() {
        let settled = time::Duration::try_from(SETTLED).ok().and_then(|settled| now.checked_sub(settled));
        if let Some(to) = settled.map(|settled| settled.min(until)) {
            store.set_journal_read_to(to).await?;
        }
    }
    Ok(page.next)
}

/// Lists one reward of the journal, unless it is listed already (or gone with its customer).
async fn list(store: &impl ShopStore, customer: CustomerId, id: RewardId, now: Time) -> Result<(), Unavailable> {
    let Some(reward) = store.reward(customer, id).await? else { return Ok(()) };
    if reward.journaled {
        change_reward(store, reward, now, plain, |r| r.listed()).await?;
    }
    Ok(())
}
