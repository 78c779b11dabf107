//! Committing what the domain decided about a balance or a reward, deciding again on what the store
//! returns when another write changed the record first. Every change of a balance goes through
//! `change_balance`; every change of a reward through `change_reward`.

use std::time::Duration;

use tally_domain::customer::{Applied, Customer, CustomerRef};
use tally_domain::error::{Missing, Refused};
use tally_domain::ledger::BalanceChange;
use tally_domain::reward::{Reward, RewardChange};
use tally_domain::Time;

use crate::error::Unavailable;
use crate::ports::store::{Customers, Rewards, Writes};
use crate::ports::{Committed, CustomerWrite, Rejection, RewardWrite, Write};

/// Writers racing for one record each win in turn: this bounds the racers, not the time a request waits.
const MAX_ATTEMPTS: u32 = 100;

/// Why a change of balance was not made.
#[derive(Debug)]
pub(crate) enum BalanceFailed {
    /// The domain refuses it for the customer as they now are.
    Refused(Refused),
    /// The customer is gone.
    Missing(Missing),
    /// A part of the write other than the customer's was refused.
    Rejected(Rejection),
    Unavailable(Unavailable),
}

impl From<crate::ports::StoreError> for BalanceFailed {
    fn from(e: crate::ports::StoreError) -> Self {
        BalanceFailed::Unavailable(e.into())
    }
}

/// Applies `change` to `customer` at `at`, with the rest of the write `with` makes from the change as
/// applied (the reward records the lots it took), all at once. When another write changed the customer
/// first, the change is decided again on the record as it now is.
pub(crate) async fn change_balance<S: Writes + Customers>(
    store: &S,
    mut customer: Customer,
    change: &BalanceChange,
    at: Time,
    mut with: impl FnMut(&Applied) -> Write,
) -> Result<Applied, BalanceFailed> {
    for attempt in 0..MAX_ATTEMPTS {
        let applied = customer.apply(change, at).map_err(BalanceFailed::Refused)?;
        let write = Write { customer: Some(CustomerWrite::Changed(applied.clone())), ..with(&applied) };
        match store.commit(write).await? {
            Committed::Done => return Ok(applied),
            Committed::Rejected(Rejection::Customer(Some(current))) => customer = *current,
            Committed::Rejected(Rejection::Customer(None) | Rejection::Contention) => {
                tokio::time::sleep(backoff(attempt)).await;
                let id = customer.customer_id;
                customer =
                    store.customer(id).await?.ok_or(BalanceFailed::Missing(Missing::Customer(CustomerRef::Id(id))))?;
            }
            Committed::Rejected(other) => return Err(BalanceFailed::Rejected(other)),
        }
    }
    tracing::warn!(customer_id = %customer.customer_id, "a balance change gave up after contention");
    Err(BalanceFailed::Unavailable(Unavailable::Busy))
}

/// How a change of a reward ended.
#[derive(Debug)]
pub(crate) enum RewardCommitted {
    /// Made: the reward as it now is, and the customer as the write left them when it changed their balance.
    Done(Reward, Option<Box<Customer>>),
    /// The reward changed first: as it now is, to decide again.
    Changed(Reward),
    /// Its balance change is refused for the customer as they now are (their balance shrank meanwhile).
    Refused,
}

/// Writes a decided change of a reward: alone, or with its balance change (on the customer as they now
/// are, read if `customer` is not given), and the request's `effect`.
pub(crate) async fn commit_reward<S: Writes + Customers + Rewards>(
    store: &S,
    change: RewardChange,
    customer: Option<Customer>,
    effect: impl Fn(Write) -> Write,
    at: Time,
) -> Result<RewardCommitted, Unavailable> {
    let after = change.reward.clone();
    let Some(balance) = change.balance.clone() else {
        return match store.commit(effect(Write::reward(RewardWrite::Changed(change)))).await? {
            Committed::Done => Ok(RewardCommitted::Done(after, None)),
            Committed::Rejected(Rejection::Reward(current)) => changed(store, &after, current).await,
            Committed::Rejected(Rejection::Contention) => changed(store, &after, None).await,
            Committed::Rejected(_) => Err(Unavailable::InProgress),
        };
    };
    let customer = match customer {
        Some(customer) => customer,
        None => match store.customer(after.customer_id).await? {
            Some(customer) => customer,
            None => return Err(Unavailable::Busy),
        },
    };
    let with = |_: &Applied| effect(Write::reward(RewardWrite::Changed(change.clone())));
    match change_balance(store, customer, &balance, at, with).await {
        Ok(applied) => Ok(RewardCommitted::Done(after, Some(Box::new(applied.customer)))),
        Err(BalanceFailed::Refused(_)) => Ok(RewardCommitted::Refused),
        Err(BalanceFailed::Rejected(Rejection::Reward(current))) => changed(store, &after, current).await,
        Err(BalanceFailed::Rejected(_)) => Err(Unavailable::InProgress),
        Err(BalanceFailed::Missing(_)) => Err(Unavailable::Busy),
        Err(BalanceFailed::Unavailable(e)) => Err(e),
    }
}

/// The reward as it now is, after a write found it changed.
async fn changed<S: Rewards>(
    store: &S,
    reward: &Reward,
    current: Option<Box<Reward>>,
) -> Result<RewardCommitted, Unavailable> {
    let current = match current {
        Some(current) => *current,
        None => store.reward(reward.customer_id, reward.id).await?.ok_or(Unavailable::Busy)?,
    };
    Ok(RewardCommitted::Changed(current))
}

/// What deciding a change of a reward came to.
#[derive(Debug)]
pub(crate) enum Decided<E> {
    /// Made: the reward after it.
    Done(Reward),
    /// It does not apply to the reward as it now is, for this reason.
    Declined { current: Reward, why: E },
}

/// A change of a reward decided on the reward as it stands, decided again on the reward as it now is each
/// time another write changed it first. `decide` says why the change does not apply, when it does not.
pub(crate) async fn change_reward<S: Writes + Customers + Rewards, E>(
    store: &S,
    reward: Reward,
    at: Time,
    effect: impl Fn(Write) -> Write + Copy,
    decide: impl Fn(&Reward) -> Result<RewardChange, E>,
) -> Result<Decided<E>, Unavailable> {
    Ok(change_reward_on(store, reward, None, at, effect, decide).await?.0)
}

/// The same, its balance change decided first on `customer` as the request read them (read otherwise);
/// with the customer as the write left them, when it changed their balance.
pub(crate) async fn change_reward_on<S: Writes + Customers + Rewards, E>(
    store: &S,
    mut reward: Reward,
    mut customer: Option<Customer>,
    at: Time,
    effect: impl Fn(Write) -> Write + Copy,
    decide: impl Fn(&Reward) -> Result<RewardChange, E>,
) -> Result<(Decided<E>, Option<Customer>), Unavailable> {
    for _ in 0..MAX_ATTEMPTS {
        let change = match decide(&reward) {
            Ok(change) => change,
            Err(why) => return Ok((Decided::Declined { current: reward, why }, None)),
        };
        match commit_reward(store, change, customer.take(), effect, at).await? {
            RewardCommitted::Done(after, customer) => return Ok((Decided::Done(after), customer.map(|c| *c))),
            RewardCommitted::Changed(current) => reward = current,
            // Only a change that takes points can be refused, and none of those is decided here.
            RewardCommitted::Refused => return Err(Unavailable::Busy),
        }
    }
    Err(Unavailable::Busy)
}

/// The same write, unchanged: for a reward change with no effect to record.
pub(crate) fn plain(write: Write) -> Write {
    write
}

/// A short wait before reading a record another write held, longer each time, with jitter so that racers
/// spread out. (The jitter changes when a retry runs, never what it decides.)
fn backoff(attempt: u32) -> Duration {
    let mut jitter = [0u8; 1];
    let _ = getrandom::fill(&mut jitter);
    Duration::from_millis(5 * u64::from(attempt.min(10)) + u64::from(jitter[0] % 20))
}
