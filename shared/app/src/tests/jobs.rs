//! The scheduled jobs: expiry of rewards and of points, reconciliation, one run at a time.

use tally_domain::ledger::LedgerKind;
use tally_domain::reward::RewardStatus;

use super::*;
use crate::expire::expire;
use crate::fakes::ShopifyFault;
use crate::ports::store::{Ledgers, Listings, Rules, Writes};
use crate::ports::{Committed, CustomerWrite, RewardWrite, Write};
use crate::reconcile::reconcile;
use crate::settle::DEFAULT_GRACE;

#[tokio::test]
async fn an_unused_reward_past_its_end_is_deactivated_and_expires_releasing_its_reservation() {
    let world = World::new().await;
    let immediate = world.redeem(1).await.unwrap().reward;
    let delayed = world.delayed(3).await.unwrap().reward;
    world.clock.advance(time::Duration::days(31));
    let report = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((report.expired, report.errors), (2, 0));
    assert_eq!(world.reward(&immediate).await.status(), RewardStatus::Expired);
    assert_eq!(world.available().await, 2000, "the reservation came back, the immediate reward's points did not");
    assert!(world.deps.shopify.state(&world.shop.domain).discounts.iter().all(|d| !d.active));
    let again = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!(again.expired, 0, "once");
    let _ = delayed;
    world.assert_clean().await;
}

#[tokio::test]
async fn a_code_an_order_used_is_settled_with_that_order_and_shopify_down_puts_a_reward_off() {
    let world = World::new().await;
    let used = world.redeem(1).await.unwrap().reward;
    let down = world.redeem(3).await.unwrap().reward;
    world
        .deps
        .shopify
        .place_order(&world.shop.domain, &[used.discount_code.clone().unwrap()], Some(customer_id()))
        .unwrap();
    world.clock.advance(time::Duration::days(31));
    world.deps.shopify.fail_next(&[ShopifyFault::Down; 2]);
    let report = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((report.still_active, report.put_off, report.expired), (2, 2, 0), "{report:?}");
    let next = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((next.expired, next.still_active), (0, 0), "put off: not asked about again at once");
    world.clock.advance(time::Duration::hours(2));
    let later = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((later.settled_by_order, later.expired), (1, 1), "{later:?}");
    assert_eq!(
        (world.reward(&used).await.status(), world.reward(&down).await.status()),
        (RewardStatus::Used, RewardStatus::Expired)
    );
    world.assert_clean().await;
}

#[tokio::test]
async fn expired_lots_leave_the_balance_once_with_a_ledger_entry() {
    let world = World::new().await;
    let soon = START + time::Duration::days(2);
    world.adjust(CUSTOMER, 400, Some(soon)).await;
    world.clock.advance(time::Duration::days(3));
    let report = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((report.points_expired, report.customers_with_points_expired), (400, 1));
    let customer = world.customer().await;
    assert_eq!((customer.available_points, customer.lots.total()), (2500, 2500));
    let ledger = world.deps.store.shop(&world.shop.domain).ledger(customer_id()).await.unwrap();
    assert_eq!(ledger.last().map(|e| (e.kind, e.delta)), Some((LedgerKind::PointsExpired, -400)));
    assert_eq!(expire(&world.deps, None, world.deps.now(), None).await.unwrap().points_expired, 0, "once");
    world.assert_clean().await;
}

#[tokio::test]
async fn reconciliation_fails_a_reward_shopify_never_created_once_its_grace_is_over() {
    let world = World::new().await;
    // What a Lambda that died between the debit and Shopify leaves: the points taken, the reward pending.
    let rule = world.deps.store.shop(&world.shop.domain).rule(rule_id(1)).await.unwrap().unwrap();
    let priced = tally_domain::rule::Priced::at_cost(&rule);
    let mode = tally_domain::reward::DeductionMode::Immediate;
    let drawn = world.deps.draw_reward(&world.shop.code_prefix, world.deps.now());
    let reward = Reward::pending(&world.shop, customer_id(), &rule, &priced, None, mode, world.deps.now(), drawn);
    let applied = world.customer().await.apply(&reward.payment(), world.deps.now()).unwrap();
    let reward = Reward { lots: applied.taken.clone(), ..reward };
    let write =
        Write { customer: Some(CustomerWrite::Changed(applied)), ..Write::reward(RewardWrite::New(reward.clone())) };
    assert_eq!(world.deps.store.shop(&world.shop.domain).commit(write).await.unwrap(), Committed::Done);
    let early = reconcile(&world.deps, None, DEFAULT_GRACE, world.deps.now(), None).await.unwrap();
    assert_eq!((early.pending, world.available().await), (0, 2000), "within its grace it is left alone");
    world.clock.advance(time::Duration::minutes(3));
    let report = reconcile(&world.deps, None, DEFAULT_GRACE, world.deps.now(), None).await.unwrap();
    assert_eq!((report.pending, report.failed), (1, 1));
    assert_eq!((world.reward(&reward).await.status(), world.available().await), (RewardStatus::Failed, 2500));
    world.assert_clean().await;
}

#[tokio::test]
async fn one_run_at_a_time_and_an_uninstalled_shop_is_passed_by() {
    let world = World::new().await;
    let lock = format!("expire#{}", world.shop.domain);
    let (now, until) = (world.deps.now(), world.deps.now() + time::Duration::minutes(5));
    let held = world.deps.store.lock_job(&lock, "other", now, until).await;
    assert_eq!(held.unwrap(), crate::ports::store::Held::Taken);
    let skipped = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!(skipped.skipped, 1);
    world.deps.store.unlock_job(&lock, "other").await.unwrap();
    crate::shops::uninstalled(&world.deps, &world.shop).await.unwrap();
    assert_eq!(expire(&world.deps, None, world.deps.now(), None).await.unwrap().shops, 0);
}

#[tokio::test]
async fn a_grace_past_the_calendar_settles_nothing_and_does_not_panic() {
    let world = World::new().await;
    let grace = std::time::Duration::from_secs(u64::MAX);
    let report = reconcile(&world.deps, None, grace, world.deps.now(), None).await.unwrap();
    assert_eq!((report.pending, report.errors), (0, 0));
}

/// Every reward listed by its end at or before `end`, over every partition of the listing.
async fn all_expiring(world: &World, end: tally_domain::Time) -> Vec<tally_domain::ids::RewardId> {
    let store = world.deps.store.shop(&world.shop.domain);
    let (mut found, mut after) = (Vec::new(), None);
    loop {
        let page = store.expiring(end, after.as_ref(), 100).await.unwrap();
        found.extend(page.items.iter().map(|r| r.id));
        match page.next {
            Some(next) => after = Some(next),
            None => return found,
        }
    }
}

#[tokio::test]
async fn a_redemption_s_reward_is_listed_from_its_journal_once_past_its_grace_and_the_journal_read_once() {
    let world = World::new().await;
    let reward = world.redeem(1).await.unwrap().reward;
    let end = reward.expire_date.unwrap();
    assert!(world.reward(&reward).await.journaled);
    assert!(all_expiring(&world, end).await.is_empty(), "the redemption listed it nowhere but its journal");
    reconcile(&world.deps, None, DEFAULT_GRACE, world.deps.now(), None).await.unwrap();
    assert!(all_expiring(&world, end).await.is_empty(), "not within its redemption's grace");
    world.clock.advance(time::Duration::minutes(3));
    let now = world.deps.now();
    let report = reconcile(&world.deps, None, DEFAULT_GRACE, now, None).await.unwrap();
    assert_eq!((report.pending, report.errors), (0, 0), "{report:?}");
    assert_eq!(all_expiring(&world, end).await, vec![reward.id], "listed by its end");
    let listed = world.reward(&reward).await;
    assert_eq!((listed.journaled, listed.status(), listed.version), (false, RewardStatus::Unused, reward.version + 1));
    let store = world.deps.store.shop(&world.shop.domain);
    let mark = store.journal_read_to().await.unwrap();
    assert_eq!(mark, Some(now - time::Duration::seconds(120)), "read to where the grace begins");
    let unread = store.journal(mark, now, None, 100).await.unwrap();
    assert!(unread.items.is_empty() && unread.next.is_some(), "the next run reads on from there");
    world.clock.advance(time::Duration::days(31));
    let expired = expire(&world.deps, None, world.deps.now(), None).await.unwrap();
    assert_eq!((expired.expired, expired.errors), (1, 0), "{expired:?}");
    world.assert_clean().await;
}

#[tokio::test]
async fn a_walk_cut_between_slices_marks_the_journal_no_further_than_where_it_began() {
    let world = World::new().await;
    world.clock.advance(time::Duration::minutes(3));
    let began = world.deps.now() - time::Duration::try_from(DEFAULT_GRACE).unwrap();
    // A reward made after the walk's first slice: in a partition the walk may have passed already.
    world.clock.advance(time::Duration::minutes(10));
    let reward = world.redeem(1).await.unwrap().reward;
    world.clock.advance(time::Duration::minutes(3));
    let walk = Some(crate::jobs::Walk { until: began, mark_to: began });
    let last = crate::ports::store::Position::in_partition(crate::ports::store::LISTING_PARTITIONS - 1, "");
    let cursor = crate::jobs::Cursor { phase: crate::journal::JOURNAL, after: Some(last), walk };
    let now = world.deps.now();
    crate::reconcile::reconcile_slice(&world.deps, &world.shop.domain, DEFAULT_GRACE, now, Some(cursor), None)
        .await
        .unwrap();
    let store = world.deps.store.shop(&world.shop.domain);
    assert_eq!(store.journal_read_to().await.unwrap(), Some(began), "marked to the time the walk began with");
    assert!(world.reward(&reward).await.journaled, "not read by that walk");
    reconcile(&world.deps, None, DEFAULT_GRACE, now, None).await.unwrap();
    assert!(!world.reward(&reward).await.journaled, "read by the next");
    world.assert_clean().await;
}
