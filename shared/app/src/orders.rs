//! What orders do to rewards: an order that uses a code marks its reward `USED` (and pays its
//! reservation); a cancelled or fully refunded order gives the points back once, if the shop says so.

use std::time::Instant;

use tally_domain::ids::OrderId;
use tally_domain::order::Order;
use tally_domain::reward::{CancelReason, Reward, RewardState};
use tally_domain::shop::Shop;

use crate::balance::{change_reward, commit_reward, plain, Decided, RewardCommitted};
use crate::error::Unavailable;
use crate::ports::store::{Customers, Markers, Rewards};
use crate::ports::{ShopStore, Shopify, ShopifyShop, Store};
use crate::{access, crash_point, Deps};

/// What an order's webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOutcome {
    pub order_id: OrderId,
    pub rewards_used: usize,
    pub rewards_refunded: usize,
}

/// A use reads the reward (or the balance) again when it changed under it, this many times.
const ATTEMPTS: usize = 4;

/// Marks the rewards whose codes the order used `USED`; pays their reservations.
pub async fn created<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, order: &Order) -> Result<OrderOutcome, Unavailable> {
    let rewards = rewards_of(&deps.store.shop(&shop.domain), order).await;
    created_prepared(deps, shop, order, rewards).await
}

/// The shop's rewards among the order's codes, read before the order is handled (while its delivery is
/// checked).
pub async fn prepare_created<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    order: &Order,
) -> Result<Vec<Reward>, Unavailable> {
    rewards_of(&deps.store.shop(&shop.domain), order).await
}

/// The same as `created`, from the rewards `prepare_created` read.
pub async fn created_prepared<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    order: &Order,
    rewards: Result<Vec<Reward>, Unavailable>,
) -> Result<OrderOutcome, Unavailable> {
    let store = deps.store.shop(&shop.domain);
    let mut used = 0;
    for reward in rewards? {
        if use_reward(deps, &store, reward, order).await? {
            used += 1;
            crash_point("mid-order");
        }
    }
    // A cancellation or full refund that arrived first found nothing to give back: do it now. (Read after
    // the uses, never with them: a cancellation recorded between the two would otherwise find the rewards
    // not yet used, and this order not see it.)
    let refunded = match store.order_cancelled(order.id).await? {
        true => refund_rewards(deps, shop, order, CancelReason::CancelledOrRefunded).await?,
        false => 0,
    };
    Ok(OrderOutcome { order_id: order.id, rewards_used: used, rewards_refunded: refunded })
}

/// Marks one reward used by the order; `false` when it was used already, or cannot be. A reward whose
/// points went back before the order came takes them again as far as the balance goes: the customer's
/// balance is read for that, and read again when it shrank meanwhile.
async fn use_reward<S, H>(
    deps: &Deps<S, H>,
    store: &impl ShopStore,
    mut reward: Reward,
    order: &Order,
) -> Result<bool, Unavailable> {
    for _ in 0..ATTEMPTS {
        let now = deps.now();
        let takes_points = matches!(
            reward.state,
            RewardState::Refunded(_) | RewardState::Expired { points_returned: true } | RewardState::Failed { .. }
        );
        let customer = match takes_points {
            true => store.customer(reward.customer_id).await?,
            false => None,
        };
        let available = customer.as_ref().map_or(0, |c| c.available_at(now));
        let Ok(change) = reward.used_by(order, now, available) else { return Ok(false) };
        let late = change.balance.as_ref().is_some_and(|b| b.needs() > 0);
        match commit_reward(store, change, customer, plain, now).await? {
            RewardCommitted::Done(used, _) => {
                match late {
                    true => {
                        tracing::warn!(reward_id = %used.id, order_id = %order.id, "a code was used after its points went back")
                    }
                    false => tracing::info!(reward_id = %used.id, order_id = %order.id, "reward used"),
                }
                return Ok(true);
            }
            RewardCommitted::Changed(current) => reward = current,
            RewardCommitted::Refused => {}
        }
    }
    Err(Unavailable::Busy)
}

/// Gives back, once, the points of the rewards the order used, if the shop says so.
pub async fn cancelled<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    order: &Order,
) -> Result<OrderOutcome, Unavailable> {
    // Recorded first, so that an `orders/create` handled after this sees it.
    deps.store.shop(&shop.domain).mark_order_cancelled(order.id, deps.now()).await?;
    let refunded = refund_rewards(deps, shop, order, CancelReason::Cancelled).await?;
    Ok(OrderOutcome { order_id: order.id, rewards_used: 0, rewards_refunded: refunded })
}

/// An order was refunded (`refunds/create`): Shopify is asked how the order stands, and only a full refund
/// gives back, once, the points of the rewards the order used (if the shop says so, as for a cancelled
/// order, and as late: an `orders/create` handled after it gives them back then). A partial refund gives
/// nothing back: the order kept its discount. `None` when nothing is given back.
pub async fn refunded<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    order_id: OrderId,
    deadline: Option<Instant>,
) -> Result<Option<OrderOutcome>, Unavailable> {
    let shopify = access::shopify(deps, shop, deadline);
    let Some(state) = shopify.order(order_id).await.map_err(Unavailable::shopify)? else {
        tracing::warn!(%order_id, "a refunded order Shopify does not know");
        return Ok(None);
    };
    if !state.fully_refunded {
        tracing::info!(%order_id, "a partial refund: the rewards stay used");
        return Ok(None);
    }
    let order = Order { id: order_id, name: state.name, codes: state.codes };
    // Recorded first, as a cancellation is, so that an `orders/create` handled after this gives back too.
    deps.store.shop(&shop.domain).mark_order_cancelled(order_id, deps.now()).await?;
    let refunded = refund_rewards(deps, shop, &order, CancelReason::Refunded).await?;
    Ok(Some(OrderOutcome { order_id, rewards_used: 0, rewards_refunded: refunded }))
}

async fn refund_rewards<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    order: &Order,
    why: CancelReason,
) -> Result<usize, Unavailable> {
    if !shop.settings.return_points_on_cancel {
        return Ok(0);
    }
    let store = deps.store.shop(&shop.domain);
    let mut refunded = 0;
    for reward in rewards_of(&store, order).await? {
        if reward.order().is_none_or(|used| used.id != order.id) {
            continue;
        }
        if let Decided::Done(reward) =
            change_reward(&store, reward, deps.now(), plain, |r| r.order_cancelled(order, why)).await?
        {
            refunded += 1;
            tracing::info!(reward_id = %reward.id, order_id = %order.id, "points returned for the order");
        }
    }
    Ok(refunded)
}

/// The shop's rewards among the order's discount codes; other codes are not Tally's.
async fn rewards_of(store: &(impl Rewards + Customers), order: &Order) -> Result<Vec<Reward>, Unavailable> {
    let each = order.codes.iter().map(|code| async move {
        match store.code_owner(code).await? {
            Some((customer_id, reward_id)) => store.reward(customer_id, reward_id).await,
            None => Ok(None),
        }
    });
    let found = futures::future::try_join_all(each).await?;
    Ok(found.into_iter().flatten().collect())
}
