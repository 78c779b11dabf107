//! The redemptions' journal. A redemption lists its reward only there, in an index entry on the ledger
//! entry that paid for it, which nothing moves: so that the redemption writes the fewest index entries (its
//! reward is written again by its outcome, and a listing on it would be written again with it). The jobs
//! list each reward where it stands (`Reward::listed`) once its redemption is surely over, before they
//! read the listings: reconciliation after its grace, the expiry job before ending rewards.

use std::time::{Duration, Instant};

use futures::StreamExt;
use tally_domain::ids::RewardId;
use tally_domain::reward::Reward;
use tally_domain::Time;

use crate::balance::{change_reward, plain};
use crate::error::Unavailable;
use crate::jobs::{self, Cursor, Walk, PAGE};
use crate::ports::store::{Position, LISTING_PARTITIONS};
use crate::ports::ShopStore;

/// A journal entry is in the index within this long of the time it names: the transaction that writes it
/// runs within its function's timeout (15 s), and the index follows in well under a second. The journal
/// is marked read no closer to now than this, so that no entry can appear behind the mark.
pub const JOURNAL_LAG: Duration = Duration::from_secs(60);

/// How many of a page's rewards are written at once.
const AT_ONCE: usize = 32;

/// The phase a run of either job begins with (a cursor of none). Its number is past theirs, so that the
/// cursor of a run begun before the journal goes on in the phase it names.
pub(crate) const JOURNAL: u8 = 100;

/// Where a run of either job begins: with the journal.
pub(crate) fn start() -> Cursor {
    Cursor { phase: JOURNAL, after: None, walk: None }
}

/// The journal's phase, from `cursor`: the rewards made at or before `until` (as the walk's first slice
/// saw it) listed, a page at a time while `deadline` allows; then phase `then`. Whether it is done. A
/// reward that could not be listed, or a page that could not be read, is logged and counted in `errors`:
/// the mark stays before it, for the next run to try again (a page's partition is left for then).
pub(crate) async fn list_all(
    store: &impl ShopStore,
    (until, then): (Time, u8),
    cursor: &mut Cursor,
    (now, deadline): (Time, Option<Instant>),
    errors: &mut usize,
) -> Result<bool, Unavailable> {
    while cursor.phase == JOURNAL {
        if jobs::out_of_time(deadline) {
            return Ok(false);
        }
        let lag = time::Duration::try_from(JOURNAL_LAG).ok().and_then(|lag| now.checked_sub(lag));
        let mut walk = cursor.walk.unwrap_or(Walk { until, mark_to: lag.map_or(until, |lag| lag.min(until)) });
        let next = match list_page(store, &mut walk, cursor.after.as_ref(), now, errors).await {
            Ok(next) => next,
            Err(e) => {
                tracing::error!(error = %e, "could not read a page of the journal; its partition waits for the next run");
                *errors += 1;
                walk.mark_to = HELD;
                let (partition, _) = cursor.after.as_ref().map(Position::partition).unwrap_or((0, ""));
                (partition + 1 < LISTING_PARTITIONS).then(|| Position::in_partition(partition + 1, ""))
            }
        };
        *cursor = match next {
            Some(after) => Cursor { phase: JOURNAL, after: Some(after), walk: Some(walk) },
            None => {
                mark(store, &walk).await?;
                Cursor { phase: then, after: None, walk: None }
            }
        };
    }
    Ok(true)
}

/// Lists one page of the walk's rewards not listed yet, from `after` (where the last page stopped), at
/// `now`: where the next page begins, or `None` when the walk is done. A reward that fails keeps the
/// walk's mark before it.
async fn list_page(
    store: &impl ShopStore,
    walk: &mut Walk,
    after: Option<&Position>,
    now: Time,
    errors: &mut usize,
) -> Result<Option<Position>, Unavailable> {
    let since = store.journal_read_to().await?;
    if since.is_some_and(|since| since >= walk.until) {
        return Ok(None);
    }
    let page = store.journal(since, walk.until, after, PAGE).await?;
    let journaled = store.rewards_made(&page.items).await?.into_iter().filter(|reward| reward.journaled);
    let listed = futures::stream::iter(journaled).map(|reward| list(store, reward, now));
    for (id, made, e) in listed.buffer_unordered(AT_ONCE).collect::<Vec<_>>().await.into_iter().flatten() {
        tracing::error!(reward_id = %id, error = %e, "could not list a reward from the journal");
        *errors += 1;
        let before = made.checked_sub(time::Duration::MICROSECOND).unwrap_or(HELD);
        walk.mark_to = walk.mark_to.min(before);
    }
    Ok(page.next)
}

/// A walk's `mark_to` once a page could not be read: the mark stays where it was.
const HELD: Time = Time::UNIX_EPOCH;

/// Marks the journal read to where the walk may, if that is further than the mark.
async fn mark(store: &impl ShopStore, walk: &Walk) -> Result<(), Unavailable> {
    if walk.mark_to <= HELD {
        return Ok(());
    }
    let since = store.journal_read_to().await?;
    if since.is_none_or(|since| since < walk.mark_to) {
        store.set_journal_read_to(walk.mark_to).await?;
    }
    Ok(())
}

/// Lists one reward of the journal where it stands (one listed meanwhile is left as it is); the reward's
/// id, when it was made and why, when that failed.
async fn list(store: &impl ShopStore, reward: Reward, now: Time) -> Option<(RewardId, Time, Unavailable)> {
    let (id, made) = (reward.id, reward.create_at);
    change_reward(store, reward, now, plain, |r| r.listed()).await.err().map(|e| (id, made, e))
}
