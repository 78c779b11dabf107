//! The checks themselves: each catches the breach it names, so that a clean run means something.

use tally_domain::reward::RewardState;

use crate::book::Book;
use crate::checks::{after_reconcile, always, restored};
use crate::schedule::{Op, Step};
use crate::{fake_leg, numbered, over_fakes};

/// A leg after a few redemptions, its book, and what it holds.
async fn redeemed() -> (crate::world::FakeLeg, Book) {
    let leg = fake_leg(1).await;
    let mut book = Book::default();
    for (n, rule) in [(0, 1), (1, 2), (2, 3)] {
        let step = Step { op: Op::Redeem { shop: 0, customer: 0, rule, delayed: false }, trouble: None };
        let outcome = leg.step(&mut book, n, &step).await;
        assert!(outcome.starts_with("200 reward"), "{outcome}");
    }
    (leg, book)
}

#[tokio::test]
async fn a_clean_world_passes_and_a_balance_off_by_one_point_is_caught() {
    let (leg, book) = redeemed().await;
    let mut snapshot = leg.snapshot().await;
    assert_eq!(always(&snapshot, &book), Vec::<String>::new());
    assert_eq!(after_reconcile(&snapshot), Vec::<String>::new());
    snapshot.shops[0].customers[0].customer.available_points += 1;
    let problems = always(&snapshot, &book);
    assert!(problems.iter().any(|p| p.contains("the lots hold")), "{problems:?}");
}

#[tokio::test]
async fn a_reward_more_than_the_keys_sent_and_a_code_working_for_a_refunded_reward_are_caught() {
    let (leg, mut book) = redeemed().await;
    let mut snapshot = leg.snapshot().await;
    book.redemptions -= 1;
    assert!(always(&snapshot, &book).iter().any(|p| p.contains("rewards that did not fail")));
    let reward = &mut snapshot.shops[0].customers[0].rewards[0];
    reward.state = RewardState::Failed { reason: tally_domain::reward::FailureReason::NeverCreated };
    let problems = after_reconcile(&snapshot);
    assert!(problems.iter().any(|p| p.contains("works in Shopify but its reward")), "{problems:?}");
}

#[tokio::test]
async fn points_taken_and_not_given_back_are_caught() {
    let (leg, _) = redeemed().await;
    let before = leg.snapshot().await.shops[0].customers[0].customer.clone();
    let mut after = before.clone();
    after.available_points -= 100;
    assert!(restored(&before, &after, leg.deps.now()).is_some());
    assert!(restored(&before, &before, leg.deps.now()).is_none());
}

#[tokio::test]
async fn a_seed_draws_the_same_schedule_and_outcomes_every_time() {
    assert_eq!(numbered(42, 300), numbered(42, 300));
    assert_ne!(numbered(42, 300), numbered(43, 300));
    assert_eq!(over_fakes(42, &numbered(42, 300)).await, Ok(()));
}
