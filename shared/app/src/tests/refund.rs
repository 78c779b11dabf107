//! Refunds of unused rewards: the code first, then the points, and every way that can stop halfway.

use tally_domain::reward::{NotRefundable, RewardStatus};

use super::*;
use crate::fakes::ShopifyFault;
use crate::refund::{refund, RefundCommand, RefundError};

fn command(reward: &Reward) -> RefundCommand {
    RefundCommand { customer: CustomerRef::Id(customer_id()), reward_id: reward.id, reason: "goodwill".into() }
}

#[tokio::test]
async fn a_refund_deactivates_the_code_then_gives_the_points_back_to_their_lots() {
    let world = World::new().await;
    world.adjust(CUSTOMER, 300, Some(START + time::Duration::days(10))).await;
    let lots_before = world.customer().await.lots;
    let reward = world.redeem(1).await.unwrap().reward;
    let refunded = refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.unwrap().reward;
    assert_eq!(refunded.status(), RewardStatus::Refunded);
    assert_eq!(world.customer().await.lots, lots_before, "the same points, with the same expiries");
    assert!(!world.deps.shopify.state(&world.shop.domain).discounts[0].active, "the code no longer works");
    let again = refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.unwrap_err();
    assert!(matches!(again, RefundError::NotRefundable { why: NotRefundable::Refunded, .. }));
    world.assert_clean().await;
}

#[tokio::test]
async fn a_code_an_order_used_is_not_refunded() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    let code = reward.discount_code.clone().unwrap();
    world.deps.shopify.place_order(&world.shop.domain, &[code], Some(customer_id())).unwrap();
    let refused = refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.unwrap_err();
    assert!(matches!(refused, RefundError::NotRefundable { why: NotRefundable::CodeUsed, .. }));
    assert_eq!((world.reward(&reward).await.status(), world.available().await), (RewardStatus::Unused, 2000));
}

#[tokio::test]
async fn shopify_refusing_the_deactivation_changes_nothing() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    world.deps.shopify.fail_next(&[ShopifyFault::Refused]);
    let refused = refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.unwrap_err();
    assert!(matches!(refused, RefundError::NotReverted(_)));
    let now = world.reward(&reward).await;
    assert_eq!((now.status(), now.refund_request(), world.available().await), (RewardStatus::Unused, None, 2000));
    assert!(world.deps.shopify.state(&world.shop.domain).discounts[0].active);
}

#[tokio::test]
async fn a_refund_whose_deactivation_answer_was_lost_is_finished_by_reconciliation() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    // The lookup goes through (throttled once); the deactivation's answer is lost.
    world.deps.shopify.fail_next(&[ShopifyFault::Throttled, ShopifyFault::AnswerLost]);
    assert!(refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.is_err());
    assert!(world.reward(&reward).await.refund_request().is_some(), "the request stays for reconciliation");
    world.clock.advance(time::Duration::minutes(3));
    let grace = crate::settle::DEFAULT_GRACE;
    let report = crate::reconcile::reconcile(&world.deps, None, grace, world.deps.now(), None).await.unwrap();
    assert_eq!(report.refunds_finished, 1);
    assert_eq!((world.reward(&reward).await.status(), world.available().await), (RewardStatus::Refunded, 2500));
    world.assert_clean().await;
}

#[tokio::test]
async fn shopify_down_before_the_code_is_looked_at_begins_no_refund() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    world.deps.shopify.fail_next(&[ShopifyFault::Down]);
    assert!(refund(&world.deps, &world.shop, &command(&reward), &Attempt::default()).await.is_err());
    assert_eq!(world.reward(&reward).await.refund_request(), None, "taken back: Shopify did nothing");
    world.assert_clean().await;
}
