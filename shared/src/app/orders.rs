//! What orders do to rewards: an order that uses a code marks its reward `USED` (and pays its
//! reservation); a cancelled order gives the points back once, if the shop says so.

use std::time::Instant;

use super::{crash_point, now, Deps};
use crate::domain::customer::CustomerRef;
use crate::domain::error::TallyError;
use crate::domain::order::Order;
use crate::domain::reward::{Reward, RewardStatus};
use crate::domain::shop::Shop;

/// What an order's webhook did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderOutcome {
    pub order_id: u64,
    pub rewards_used: usize,
    pub rewards_refunded: usize,
}

/// Marks the rewards whose codes the order used `USED`; pays their reservations.
pub async fn created(deps: &Deps, shop: &Shop, order: &Order) -> Result<OrderOutcome, TallyError> {
    let mut used = 0;
    for reward in rewards_of(deps, shop, order).await? {
        if use_reward(deps, shop, &reward, order).await? {
            used += 1;
            tracing::info!(reward_id = reward.id, order_id = order.id, "reward used");
            crash_point("mid-order");
        }
    }
    // A cancellation or full refund that arrived first found nothing to give back: do it now.
    let refunded = match deps.store.is_order_cancelled(&shop.domain, order.id).await? {
        true => refund_rewards(deps, shop, order, "cancelled or refunded").await?,
        false => 0,
    };
    Ok(OrderOutcome { order_id: order.id, rewards_used: used, rewards_refunded: refunded })
}

/// Marks one reward used by the order. A reward whose points went back before the order came (a refund or
/// an expiry raced the order) is used all the same, and its points are taken from the balance again, as
/// far as the balance goes: the order had the discount. When the reward changed between the read and the
/// write (a refund committed meanwhile, say), it is read again and judged again.
async fn use_reward(deps: &Deps, shop: &Shop, reward: &Reward, order: &Order) -> Result<bool, TallyError> {
    let store = &deps.store;
    let mut reward = reward.clone();
    for _ in 0..ATTEMPTS {
        let done = match reward.status {
            RewardStatus::Unused | RewardStatus::Pending => store.use_reward(&shop.domain, &reward, order, now()).await,
            RewardStatus::Expired if !reward.points_returned => {
                store.use_reward_late(&shop.domain, &reward, order, None, now()).await
            }
            _ if reward.used_late_would_take_points() => {
                let customer = store.find_customer(&shop.domain, &CustomerRef::Id(reward.customer_id)).await?;
                let points = reward.points_redeemed.min(customer.available_points.max(0));
                let taken = store.use_reward_late(&shop.domain, &reward, order, Some(points), now()).await;
                if matches!(taken, Ok(true)) {
                    tracing::warn!(
                        reward_id = reward.id,
                        order_id = order.id,
                        points,
                        "a code was used after its points went back"
                    );
                }
                // The balance shrank under the late use: read it again.
                taken.or_else(|e| if matches!(e, TallyError::InsufficientPoints { .. }) { Ok(false) } else { Err(e) })
            }
            // Used (by this order or another), failed: nothing to do.
            _ => return Ok(false),
        }?;
        if done {
            return Ok(true);
        }
        reward = store.reward(&shop.domain, reward.customer_id, reward.id).await?;
    }
    Err(TallyError::Busy)
}

/// A use re-reads the reward (or the balance) when it changed under it, this many times.
const ATTEMPTS: usize = 4;

/// Gives back, once, the points of the rewards the order used, if the shop says so.
pub async fn cancelled(deps: &Deps, shop: &Shop, order: &Order) -> Result<OrderOutcome, TallyError> {
    // Recorded first, so that an `orders/create` handled after this sees it.
    deps.store.mark_order_cancelled(&shop.domain, order.id, now()).await?;
    let refunded = refund_rewards(deps, shop, order, "cancelled").await?;
    Ok(OrderOutcome { order_id: order.id, rewards_used: 0, rewards_refunded: refunded })
}

/// An order was refunded (`refunds/create`): Shopify is asked how the order stands, and only a full refund
/// gives back, once, the points of the rewards the order used (if the shop says so, as for a cancelled
/// order, and as late: an `orders/create` handled after it gives them back then). A partial refund gives
/// nothing back: the order kept its discount.
pub async fn refunded(
    deps: &Deps,
    shop: &Shop,
    order_id: u64,
    deadline: Option<Instant>,
) -> Result<Option<OrderOutcome>, TallyError> {
    let shopify = super::access::shopify(deps, shop).until(deadline);
    let Some(state) = shopify.order(order_id).await.map_err(super::shopify_down)? else {
        tracing::warn!(order_id, "a refunded order Shopify does not know");
        return Ok(None);
    };
    if !state.fully_refunded {
        tracing::info!(order_id, "a partial refund: the rewards stay used");
        return Ok(None);
    }
    let order = Order { id: order_id, name: state.name, codes: state.codes };
    // Recorded first, as a cancellation is, so that an `orders/create` handled after this gives back too.
    deps.store.mark_order_cancelled(&shop.domain, order_id, now()).await?;
    let refunded = refund_rewards(deps, shop, &order, "refunded").await?;
    Ok(Some(OrderOutcome { order_id, rewards_used: 0, rewards_refunded: refunded }))
}

async fn refund_rewards(deps: &Deps, shop: &Shop, order: &Order, why: &str) -> Result<usize, TallyError> {
    if !shop.settings.return_points_on_cancel {
        return Ok(0);
    }
    let mut refunded = 0;
    for reward in rewards_of(deps, shop, order).await? {
        let by_this_order = reward.status == RewardStatus::Used && reward.order_id == Some(order.id);
        if by_this_order && deps.store.refund_for_order(&shop.domain, &reward, order, why, now()).await? {
            refunded += 1;
            tracing::info!(reward_id = reward.id, order_id = order.id, why, "points returned for the order");
        }
    }
    Ok(refunded)
}

/// The shop's rewards among the order's discount codes; other codes are not Tally's.
async fn rewards_of(deps: &Deps, shop: &Shop, order: &Order) -> Result<Vec<Reward>, TallyError> {
    let mut rewards = Vec::new();
    for code in &order.codes {
        if let Some(owner) = deps.store.code_owner(&shop.domain, code).await? {
            rewards.push(deps.store.reward(&shop.domain, owner.customer_id, owner.reward_id).await?);
        }
    }
    Ok(rewards)
}
