//! Redemptions: each reward type, immediate and delayed, Shopify failing, answers lost, retries.

use tally_domain::effect::Effect;
use tally_domain::error::Refused;
use tally_domain::reward::{DeductionMode, FailureReason, RewardKind, RewardStatus};

use super::*;
use crate::fakes::ShopifyFault;
use crate::idempotency::{begin, finish, Begun, Keyed};
use crate::ports::store::Answer;

#[tokio::test]
async fn each_reward_type_becomes_a_real_reward_in_shopify_and_costs_its_points() {
    let world = World::new().await;
    for (rule, status, points_left) in [
        (1, RewardStatus::Unused, 2000),
        (2, RewardStatus::Unused, 1300),
        (3, RewardStatus::Unused, 1000),
        (4, RewardStatus::Unused, 100),
    ] {
        let redeemed = world.redeem(rule).await.unwrap();
        assert_eq!(
            (redeemed.reward.status(), redeemed.loyalty.available_points()),
            (status, points_left),
            "rule {rule}"
        );
    }
    world.adjust(CUSTOMER, 900, None).await;
    let credit = world.redeem(5).await.unwrap().reward;
    assert_eq!(
        (credit.status(), credit.reward_type, credit.discount_code.clone()),
        (RewardStatus::Used, RewardKind::StoreCredit, None)
    );
    let shopify = world.deps.shopify.state(&world.shop.domain);
    assert_eq!(shopify.discounts.len(), 4, "one code per discount reward, none for store credit");
    assert_eq!(shopify.credit.get(&customer_id()).map(|c| c.to_string()), Some("10.00".into()));
    let mug = shopify.discounts.iter().find(|d| d.spec.title.starts_with("Free mug")).unwrap();
    assert!(
        matches!(mug.spec.value, tally_domain::reward::DiscountValue::Product { amount, .. } if amount.to_string() == "12.00")
    );
    world.assert_clean().await;
}

#[tokio::test]
async fn a_delayed_redemption_reserves_the_points_until_the_order() {
    let world = World::new().await;
    let redeemed = world.delayed(1).await.unwrap();
    assert_eq!(
        (redeemed.reward.status(), redeemed.reward.deduction_mode),
        (RewardStatus::Unused, DeductionMode::OnOrder)
    );
    let customer = world.customer().await;
    assert_eq!((customer.available_points, customer.reserved_points), (2000, 500));
    world.assert_clean().await;
}

#[tokio::test]
async fn a_refusal_changes_nothing() {
    let world = World::new().await;
    world.adjust(CUSTOMER, -2400, None).await;
    let before = world.customer().await;
    let refused = world.redeem(1).await.unwrap_err();
    assert_eq!(refused, RedeemError::Refused(Refused::InsufficientPoints { available: 100, required: 500 }));
    assert_eq!(world.customer().await, before);
    let missing = redeem(&world.deps, &world.shop, &world.command(99), &Attempt::default()).await.unwrap_err();
    assert!(matches!(missing, RedeemError::Missing(_)));
    assert!(world.deps.shopify.state(&world.shop.domain).discounts.is_empty());
}

#[tokio::test]
async fn shopify_down_gives_the_points_back_and_fails_the_reward_with_its_reason() {
    let world = World::new().await;
    world.deps.shopify.fail_next(&[ShopifyFault::Down]);
    assert_eq!(world.redeem(1).await.unwrap_err(), RedeemError::NotIssued(FailureReason::ShopifyUnavailable));
    assert_eq!(world.available().await, 2500);
    world.deps.shopify.fail_next(&[ShopifyFault::Refused]);
    assert_eq!(world.redeem(1).await.unwrap_err(), RedeemError::NotIssued(FailureReason::ShopifyRefused));
    assert_eq!(world.available().await, 2500);
    world.deps.shopify.fail_next(&[ShopifyFault::Throttled]);
    assert!(world.redeem(1).await.is_ok(), "a throttled call goes through once it is let");
    world.assert_clean().await;
}

#[tokio::test]
async fn a_lost_answer_leaves_the_reward_pending_until_reconciliation_finds_it() {
    let world = World::new().await;
    // The create's answer is lost; the lookup, and the create tried again, find Shopify down.
    world.deps.shopify.fail_next(&[ShopifyFault::AnswerLost, ShopifyFault::Down, ShopifyFault::Down]);
    let pending = world.redeem(1).await.unwrap().reward;
    assert_eq!(pending.status(), RewardStatus::Pending, "nothing is known");
    assert_eq!(world.available().await, 2000, "its points stay taken");
    world.clock.advance(time::Duration::minutes(3));
    let grace = crate::settle::DEFAULT_GRACE;
    let report = crate::reconcile::reconcile(&world.deps, None, grace, world.deps.now(), None).await.unwrap();
    assert_eq!((report.pending, report.issued), (1, 1));
    assert_eq!(world.reward(&pending).await.status(), RewardStatus::Unused, "Shopify had created it");
    world.assert_clean().await;
}

#[tokio::test]
async fn store_credit_whose_answer_was_lost_waits_for_an_operator_with_its_points_held() {
    let world = World::new().await;
    world.deps.shopify.fail_next(&[ShopifyFault::AnswerLost]);
    let held = world.redeem(5).await.unwrap().reward;
    assert_eq!((held.status(), held.review_reason().is_some()), (RewardStatus::Pending, true));
    assert_eq!(world.available().await, 1500);
    let decision = crate::review::Decision::NotIssued;
    let settled =
        crate::review::resolve(&world.deps, &world.shop.domain, customer_id(), held.id, decision).await.unwrap();
    assert_eq!((settled.status(), world.available().await), (RewardStatus::Failed, 2500));
}

#[tokio::test]
async fn a_retry_under_the_key_after_a_lost_answer_resumes_and_never_redeems_twice() {
    let world = World::new().await;
    let keyed = Keyed { key: "k1".into(), fingerprint: "f".into() };
    let Begun::Run(attempt) = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap() else {
        panic!("runs")
    };
    let first = redeem(&world.deps, &world.shop, &world.command(1), &attempt).await.unwrap();
    // The answer is lost with the Lambda: the key is let go without one, after its claim lapses.
    world.clock.advance(time::Duration::seconds(31));
    let Begun::Run(retry) = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap() else {
        panic!("resumes")
    };
    assert_eq!(retry.resume, Some(Effect::Reward { customer_id: customer_id(), reward_id: first.reward.id }));
    let again = redeem(&world.deps, &world.shop, &world.command(1), &retry).await.unwrap();
    assert_eq!((again.reward.id, world.available().await), (first.reward.id, 2000), "one reward, one debit");
    let answer = Answer { status: 200, body: "first".into() };
    finish(&world.deps, &world.shop.domain, &retry, Some(&answer)).await;
    let replayed = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap();
    assert!(matches!(replayed, Begun::Replay(kept) if kept == answer));
    let other = Keyed { fingerprint: "g".into(), ..keyed };
    assert!(begin(&world.deps, &world.shop.domain, Some(&other)).await.is_err(), "the key with another request");
}

#[tokio::test]
async fn expired_points_are_not_spent_even_before_the_job_removes_them() {
    let world = World::new().await;
    world.adjust(CUSTOMER, -2500, None).await;
    world.adjust(CUSTOMER, 600, Some(START + time::Duration::days(1))).await;
    assert!(world.redeem(1).await.is_ok());
    world.clock.advance(time::Duration::days(1));
    assert_eq!(world.available().await, 0, "the 100 left expired at their time");
    let refused = world.redeem(3).await.unwrap_err();
    assert_eq!(refused, RedeemError::Refused(Refused::InsufficientPoints { available: 0, required: 300 }));
    world.assert_clean().await;
}

/// A stand-in for an endpoint's answer: short, with Shopify's id of the reward in it.
fn render(redeemed: &crate::redeem::Redeemed) -> Option<String> {
    let (reward, points) = (&redeemed.reward, redeemed.loyalty.available_points());
    Some(format!("{} {points} {:?} {:?}", reward.id, reward.status(), reward.discount_code_id))
}

/// Redeems rule `rule` under `key`, with its answer promised where it can be, and records the outcome.
async fn redeem_keyed(world: &World, key: &str, rule: u64) -> (Option<Answer>, crate::redeem::Recorded) {
    let keyed = Keyed { key: key.into(), fingerprint: "f".into() };
    let Begun::Run(attempt) = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap() else {
        panic!("runs")
    };
    let (deps, shop, command) = (&world.deps, &world.shop, world.command(rule));
    let prepared = crate::redeem::prepare(deps, shop, &command).await;
    let issued = crate::redeem::redeem_prepared(deps, shop, &command, prepared, &attempt, Some(render)).await.unwrap();
    let promised = match issued.promised.clone() {
        Some(crate::redeem::Promised::Held(answer)) => Some(answer),
        None => None,
        Some(other) => panic!("a fresh redemption's promise is held by its key: {other:?}"),
    };
    (promised, issued.record().await)
}

#[tokio::test]
async fn a_code_s_answer_is_promised_with_its_points_and_replayed_once_the_reward_is_issued() {
    let world = World::new().await;
    let keyed = Keyed { key: "k2".into(), fingerprint: "f".into() };
    let (promised, recorded) = redeem_keyed(&world, "k2", 1).await;
    let promised = promised.expect("a discount code's answer is promised");
    assert!(matches!(recorded, crate::redeem::Recorded::Stands));
    assert!(promised.body.contains("Some(\"gid://") && !promised.body.contains("tally:"), "{}", promised.body);
    for wait in [0, 31] {
        // Nothing was written to the key after Shopify's answer: its promise is the answer, lock or not.
        world.clock.advance(time::Duration::seconds(wait));
        let replayed = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap();
        assert!(matches!(&replayed, Begun::Replay(kept) if *kept == promised), "{replayed:?}");
    }
    assert_eq!(world.available().await, 2000, "one debit");
}

#[tokio::test]
async fn a_promise_is_no_answer_while_the_reward_is_not_issued_and_store_credit_makes_none() {
    let world = World::new().await;
    world.deps.shopify.fail_next(&[ShopifyFault::AnswerLost, ShopifyFault::Down, ShopifyFault::Down]);
    let (promised, _) = redeem_keyed(&world, "k3", 1).await;
    assert_eq!(promised, None, "Shopify's outcome not known: the answer is not the one promised");
    let keyed = Keyed { key: "k3".into(), fingerprint: "f".into() };
    let waiting = begin(&world.deps, &world.shop.domain, Some(&keyed)).await;
    assert!(matches!(waiting, Err(crate::idempotency::KeyError::InProgress)), "{waiting:?}");
    world.clock.advance(time::Duration::seconds(31));
    let Begun::Run(retry) = begin(&world.deps, &world.shop.domain, Some(&keyed)).await.unwrap() else {
        panic!("the retry runs")
    };
    assert!(retry.resume.is_some(), "it resumes from the reward still pending, not from the promise");
    world.adjust(CUSTOMER, 900, None).await;
    let (credit, _) = redeem_keyed(&world, "k4", 5).await;
    assert_eq!(credit, None, "store credit's answer tells when Shopify credited it");
}

#[tokio::test]
async fn a_redemption_that_died_before_its_outcome_is_resumed_and_its_promise_goes_with_the_take_over() {
    let world = World::new().await;
    let keyed = Keyed { key: "k5".into(), fingerprint: "f".into() };
    let (deps, shop, command) = (&world.deps, &world.shop, world.command(1));
    let Begun::Run(attempt) = begin(deps, &shop.domain, Some(&keyed)).await.unwrap() else { panic!("runs") };
    let prepared = crate::redeem::prepare(deps, shop, &command).await;
    let issued = crate::redeem::redeem_prepared(deps, shop, &command, prepared, &attempt, Some(render)).await;
    // Promised, then the Lambda dies before recording Shopify's outcome.
    let Some(crate::redeem::Promised::Held(first)) = issued.unwrap().promised else { panic!("promised") };
    world.clock.advance(time::Duration::seconds(31));
    let Begun::Run(retry) = begin(deps, &shop.domain, Some(&keyed)).await.unwrap() else {
        panic!("the reward still pending, the retry takes the key over")
    };
    assert!(retry.resume.is_some());
    let prepared = crate::redeem::prepare(deps, shop, &command).await;
    let resumed = crate::redeem::redeem_prepared(deps, shop, &command, prepared, &retry, Some(render)).await.unwrap();
    assert_eq!(resumed.redeemed.reward.status(), RewardStatus::Unused, "Shopify had issued it");
    let taken = Some(crate::redeem::Promised::Taken(first));
    assert_eq!(resumed.promised, taken, "the promise taken with the key is the answer, to keep as any other");
    // The reward is issued now, but its promise went with the take-over: another retry waits for the
    // resumed request's answer, which is the promise.
    let meanwhile = begin(deps, &shop.domain, Some(&keyed)).await;
    assert!(matches!(meanwhile, Err(crate::idempotency::KeyError::InProgress)), "{meanwhile:?}");
    assert_eq!(world.available().await, 2000, "one debit");
}
