//! Customers saved before their records kept a `RewardTally`: each is counted once from their rewards, so
//! that their loyalty information reads no more than the newest rewards from then on
//! (`tally-cli customer migrate-rewards`, run once after upgrading).

use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;
use tally_domain::loyalty::tally_of;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use crate::error::Unavailable;
use crate::ports::store::{Customers, Listings, Rewards, Writes};
use crate::ports::{Committed, CustomerWrite, Store, Write};
use crate::Deps;

/// What counting did: the records given their tally, and those that had one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub counted: usize,
    pub had_one: usize,
}

/// A record that changed while it was counted is counted again, at most this often.
const MAX_ATTEMPTS: usize = 20;

/// Counts the rewards of every customer of the shop whose record keeps no tally, a page of customers at a
/// time. A second run counts none.
pub async fn count_rewards<S: Store, H>(deps: &Deps<S, H>, domain: &ShopDomain) -> Result<Counted, Unavailable> {
    let store = deps.store.shop(domain);
    let (mut counted, mut after) = (Counted::default(), None);
    loop {
        let page = store.customers_page(after.as_ref(), 100).await?;
        for id in page.items {
            match count_one(&store, id, deps.now()).await? {
                true => counted.counted += 1,
                false => counted.had_one += 1,
            }
        }
        match page.next {
            Some(next) => after = Some(next),
            None => return Ok(counted),
        }
    }
}

/// Gives the customer's record its tally, unless it has one (or is gone); whether it was given one.
async fn count_one<S: Customers + Rewards + Writes>(store: &S, id: CustomerId, at: Time) -> Result<bool, Unavailable> {
    for _ in 0..MAX_ATTEMPTS {
        let Some((customer, rewards)) = store.customer_with_rewards(id).await? else { return Ok(false) };
        if customer.rewards.is_some() {
            return Ok(false);
        }
        let read_version = customer.version;
        let tallied =
            Customer { rewards: Some(tally_of(&rewards)), version: read_version + 1, updated_at: at, ..customer };
        match store.commit(Write::customer(CustomerWrite::Replaced { customer: tallied, read_version })).await? {
            Committed::Done => return Ok(true),
            // A reward made meanwhile: counted again.
            Committed::Rejected(_) => continue,
        }
    }
    Err(Unavailable::Busy)
}
