//! Orders from Shopify's webhooks: used, cancelled, refunded, late, twice and out of order.

use tally_domain::ids::OrderId;
use tally_domain::ledger::LedgerKind;
use tally_domain::order::Order;
use tally_domain::reward::RewardStatus;

use super::*;
use crate::ports::store::Ledgers;
use crate::webhooks::{receive, Event, Handled};

/// The order as Shopify takes it, and its `orders/create` delivered.
async fn order(world: &World, reward: &Reward, delivery: &str) -> (Order, Handled) {
    let code = reward.discount_code.clone().unwrap();
    let (id, name) =
        world.deps.shopify.place_order(&world.shop.domain, std::slice::from_ref(&code), Some(customer_id())).unwrap();
    let order = Order { id, name, codes: vec![code] };
    let handled =
        receive(&world.deps, &world.shop, delivery, Ok(Event::OrderCreated(order.clone())), None, None).await.unwrap();
    (order, handled)
}

async fn deliver(world: &World, delivery: &str, event: Event) -> Handled {
    receive(&world.deps, &world.shop, delivery, Ok(event), None, None).await.unwrap()
}

#[tokio::test]
async fn an_order_marks_its_reward_used_pays_the_reservation_and_counts_once() {
    let world = World::new().await;
    let reward = world.delayed(1).await.unwrap().reward;
    let (_, handled) = order(&world, &reward, "d1").await;
    assert!(matches!(handled, Handled::OrderCreated(outcome) if outcome.rewards_used == 1));
    let used = world.reward(&reward).await;
    assert_eq!((used.status(), used.order().map(|o| o.name.clone())), (RewardStatus::Used, Some("#1001".into())));
    let customer = world.customer().await;
    assert_eq!((customer.available_points, customer.reserved_points, customer.spent_points), (2000, 0, 500));
    let code = reward.discount_code.clone().unwrap();
    let again = Order { id: used.order().unwrap().id, name: "#1001".into(), codes: vec![code] };
    assert_eq!(deliver(&world, "d1", Event::OrderCreated(again.clone())).await, Handled::Duplicate);
    let other_delivery = deliver(&world, "d2", Event::OrderCreated(again)).await;
    assert!(
        matches!(other_delivery, Handled::OrderCreated(outcome) if outcome.rewards_used == 0),
        "the same order once"
    );
    world.assert_clean().await;
}

#[tokio::test]
async fn a_cancelled_order_gives_the_points_back_once_even_when_it_comes_first() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    let code = reward.discount_code.clone().unwrap();
    let (id, name) =
        world.deps.shopify.place_order(&world.shop.domain, std::slice::from_ref(&code), Some(customer_id())).unwrap();
    let order = Order { id, name, codes: vec![code] };
    deliver(&world, "cancel", Event::OrderCancelled(order.clone())).await;
    assert_eq!(world.available().await, 2000, "nothing to give back before the order is seen");
    deliver(&world, "create", Event::OrderCreated(order.clone())).await;
    assert_eq!((world.reward(&reward).await.status(), world.available().await), (RewardStatus::Refunded, 2500));
    deliver(&world, "cancel-again", Event::OrderCancelled(order)).await;
    assert_eq!(world.available().await, 2500, "once");
    world.assert_clean().await;
}

#[tokio::test]
async fn only_a_full_refund_gives_the_points_back() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    let (order, _) = order(&world, &reward, "create").await;
    world.deps.shopify.refund_order(&world.shop.domain, order.id, false);
    let partial = deliver(&world, "r1", Event::RefundCreated { order_id: order.id }).await;
    assert_eq!((partial, world.available().await), (Handled::RefundCreated(None), 2000));
    world.deps.shopify.refund_order(&world.shop.domain, order.id, true);
    deliver(&world, "r2", Event::RefundCreated { order_id: order.id }).await;
    assert_eq!((world.reward(&reward).await.status(), world.available().await), (RewardStatus::Refunded, 2500));
    let unknown = deliver(&world, "r3", Event::RefundCreated { order_id: OrderId::new(1).unwrap() }).await;
    assert_eq!(unknown, Handled::RefundCreated(None));
}

#[tokio::test]
async fn an_order_that_raced_a_refund_takes_the_points_again_as_far_as_the_balance_goes() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    let code = reward.discount_code.clone().unwrap();
    // The code was used in the instant before the refund deactivated it: Shopify had not counted it yet.
    let command = crate::refund::RefundCommand {
        customer: CustomerRef::Id(customer_id()),
        reward_id: reward.id,
        reason: "x".into(),
    };
    crate::refund::refund(&world.deps, &world.shop, &command, &Attempt::default()).await.unwrap();
    world.adjust(CUSTOMER, -2200, None).await;
    let order = Order { id: OrderId::new(77).unwrap(), name: "#77".into(), codes: vec![code] };
    deliver(&world, "late", Event::OrderCreated(order)).await;
    let used = world.reward(&reward).await;
    assert_eq!((used.status(), world.available().await), (RewardStatus::Used, 0), "300 of 500 taken again");
    let ledger = world.deps.store.shop(&world.shop.domain).ledger(customer_id()).await.unwrap();
    assert_eq!(ledger.last().map(|e| (e.kind, e.delta)), Some((LedgerKind::LateUse, -300)));
    world.assert_clean().await;
}

#[tokio::test]
async fn a_malformed_body_is_recorded_and_its_retries_are_duplicates() {
    let world = World::new().await;
    let malformed = crate::webhooks::Malformed { topic: "orders/create".into(), reason: "missing field `id`".into() };
    assert!(receive(&world.deps, &world.shop, "bad", Err(malformed.clone()), None, None).await.is_err());
    assert_eq!(receive(&world.deps, &world.shop, "bad", Err(malformed), None, None).await, Ok(Handled::Duplicate));
}
