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
    let first = over_fakes(42, &numbered(42, 300)).await.expect("seed 42 passes");
    assert_eq!(over_fakes(42, &numbered(42, 300)).await, Ok(first.clone()));
    let redemptions = first.outcomes.iter().filter(|o| o.contains(" reward ")).count();
    assert!(redemptions > 30, "the schedule redeems: {redemptions}");
}

#[tokio::test]
async fn the_checks_that_need_a_clean_run_do_run_often() {
    let mut checked = std::collections::BTreeMap::new();
    for seed in 1..=10 {
        let run = over_fakes(seed, &numbered(seed, 400)).await.expect("the seed passes");
        for (check, times) in run.checked {
            *checked.entry(check).or_insert(0) += times;
        }
    }
    let times = |check: &str| checked.get(check).copied().unwrap_or(0);
    assert!(times("after reconcile") >= 100, "{checked:?}");
    assert!(times("after expire") >= 80, "{checked:?}");
    assert!(times("redemption and refund") >= 10, "{checked:?}");
}

#[tokio::test]
async fn a_lot_kept_past_its_time_and_an_adjustment_made_twice_are_caught() {
    let (leg, book) = redeemed().await;
    let mut snapshot = leg.snapshot().await;
    let held = &mut snapshot.shops[0].customers[0];
    let points = held.customer.available_points;
    let ended = Some(snapshot.at - time::Duration::seconds(1));
    held.customer.lots = tally_domain::lots::Lots::from_lots([tally_domain::lots::Lot { points, expires_at: ended }]);
    let problems = crate::checks::after_expire(&snapshot);
    assert!(problems.iter().any(|p| p.contains("past their time")), "{problems:?}");
    let held = &mut snapshot.shops[0].customers[1];
    let twice = held.ledger[0].clone();
    for entry in [twice.clone(), twice] {
        held.ledger.push(tally_domain::ledger::LedgerEntry { reason: "key add-9 #0".into(), ..entry });
    }
    let problems = always(&snapshot, &book);
    assert!(problems.iter().any(|p| p.contains("took effect 2 times")), "{problems:?}");
}
