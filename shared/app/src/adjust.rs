//! add-points and remove-points: a balance adjusted by hand, with the reason in the ledger.

use tally_domain::customer::{Customer, CustomerRef};
use tally_domain::effect::Effect;
use tally_domain::error::Missing;
use tally_domain::error::Refused;
use tally_domain::ledger::{BalanceChange, Direction};
use tally_domain::loyalty::Loyalty;
use tally_domain::points::Points;
use tally_domain::reward::Reward;
use tally_domain::shop::Shop;
use tally_domain::Time;

use crate::balance::{change_balance, BalanceFailed};
use crate::error::{ChangeError, ReadError, Unavailable};
use crate::idempotency::Attempt;
use crate::ports::{Store, Write};
use crate::{loyalty, Deps};

/// A hand adjustment of a balance.
#[derive(Debug, Clone, PartialEq)]
pub struct Adjustment {
    pub customer: CustomerRef,
    pub points: Points,
    pub reason: String,
    pub direction: Direction,
    /// When points added expire (never, when absent).
    pub expires_at: Option<Time>,
}

/// What an adjustment reads before it decides: the customer, with their newest rewards for the answer.
#[derive(Debug)]
pub struct Prepared(Result<(Customer, Vec<Reward>), ChangeError>);

/// Reads the customer the adjustment names, with their newest rewards (at the same time as the endpoint
/// reads the request's idempotency key).
pub async fn prepare<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, adjustment: &Adjustment) -> Prepared {
    let store = deps.store.shop(&shop.domain);
    Prepared(match loyalty::lookup_with_newest(&store, &adjustment.customer).await {
        Ok(Some(found)) => Ok(found),
        Ok(None) => Err(ChangeError::Missing(Missing::Customer(adjustment.customer.clone()))),
        Err(e) => Err(ChangeError::Unavailable(e.into())),
    })
}

/// Adds or removes points; a removal never takes the balance below zero (`INSUFFICIENT_POINTS`).
pub async fn adjust<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    adjustment: &Adjustment,
    attempt: &Attempt,
) -> Result<Loyalty, ChangeError> {
    let prepared = prepare(deps, shop, adjustment).await;
    adjust_prepared(deps, shop, adjustment, prepared, attempt).await
}

/// The same from what `prepare` read: answered from the customer as the change left them.
pub async fn adjust_prepared<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    adjustment: &Adjustment,
    prepared: Prepared,
    attempt: &Attempt,
) -> Result<Loyalty, ChangeError> {
    if let Some(Effect::Balance { customer_id }) = attempt.resume {
        return loyalty::of(deps, shop, customer_id).await.map_err(read);
    }
    let at = deps.now();
    if adjustment.expires_at.is_some_and(|expires| expires <= at) {
        return Err(Refused::ExpiryPassed.into());
    }
    let store = deps.store.shop(&shop.domain);
    let (customer, newest) = prepared.0?;
    let points = adjustment.points.get();
    let change = match adjustment.direction {
        Direction::Add => BalanceChange::adjust(points, &adjustment.reason).expiring(adjustment.expires_at),
        Direction::Remove => BalanceChange::adjust(-points, &adjustment.reason),
    };
    let effect = Effect::Balance { customer_id: customer.customer_id };
    let with = |_: &_| Write::default().with_effect(attempt.claim.as_ref(), effect);
    let applied = change_balance(&store, customer, &change, at, with).await.map_err(|e| match e {
        BalanceFailed::Refused(refused) => ChangeError::Refused(refused),
        BalanceFailed::Missing(missing) => ChangeError::Missing(missing),
        BalanceFailed::Rejected(_) => ChangeError::Unavailable(Unavailable::InProgress),
        BalanceFailed::Unavailable(e) => ChangeError::Unavailable(e),
    })?;
    tracing::info!(customer_id = %applied.customer.customer_id, delta = change.available, "points adjusted");
    loyalty::answer(&store, shop, applied.customer, newest, deps.now()).await.map_err(read)
}

fn read(e: ReadError) -> ChangeError {
    match e {
        ReadError::Missing(missing) => ChangeError::Missing(missing),
        ReadError::ForeignCursor => ChangeError::Unavailable(Unavailable::Busy),
        ReadError::Unavailable(e) => ChangeError::Unavailable(e),
    }
}
