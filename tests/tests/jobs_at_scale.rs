//! The jobs and a shop's deletion at a large shop's size, over DynamoDB Local, run as their state machines
//! run them. `make test` runs them small; `make bench` at the sizes (SCALE_SHOPS, SCALE_BACKLOG,
//! SCALE_CUSTOMERS), and its report keeps the lines they print.

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tally_app::expire::{expire_slice, ExpireReport};
use tally_app::reconcile::{reconcile_slice, ReconcileReport};
use tally_app::redaction::{redact_slice, RedactReport};
use tally_tests::scale::{self, at, peak_rss_kib};
use tally_tests::Stack;

fn size(name: &str, small: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(small)
}

#[tokio::test]
async fn a_throttled_shop_with_a_backlog_holds_up_no_other_shop_and_memory_stays_bounded() {
    let (shops, backlog, due) = (size("SCALE_SHOPS", 4) as usize, size("SCALE_BACKLOG", 400), 20);
    let stack = Stack::start().await;
    let mut all = Vec::new();
    for n in 0..shops {
        let (shop, template) = scale::shop_with_template(&stack, &format!("scale-{n}")).await;
        let rewards = if n == 0 { backlog } else { due };
        scale::seed_rewards(&stack, &shop, template, 1, rewards, false).await;
        scale::seed_customers(&stack, &shop, 1, 10, due * 2, 2).await;
        all.push(shop);
    }
    let throttled = &all[0];
    stack
        .control("POST", "/__emulator/faults", json!({"mode": "throttle", "rate": 1.0, "shop": throttled.domain}))
        .await;

    let before = peak_rss_kib(true);
    let started = Instant::now();
    let domains: Vec<_> = all.iter().map(|s| s.id.clone()).collect();
    let (done, slices) =
        scale::run_all::<ExpireReport, _>(&domains, Duration::from_secs(300), |shop, cursor, deadline| {
            let deps = &stack.deps;
            async move { expire_slice(deps, &shop, at(), cursor, Some(deadline)).await }
        })
        .await;
    let run = started.elapsed();
    let rss = peak_rss_kib(false).saturating_sub(before);
    let others = done[1..].iter().map(|(_, t)| *t).max().unwrap_or_default();
    for (report, _) in &done[1..] {
        assert_eq!((report.expired as u64, report.points_expired as u64), (due, due * 100), "{report:?}");
        assert_eq!(report.errors, 0, "{report:?}");
    }
    let (stuck, _) = &done[0];
    assert_eq!((stuck.shopify_failing, stuck.expired), (1, 0), "the throttled shop stopped at once: {stuck:?}");
    println!(
        "SCALE expire: {shops} shops, {backlog} rewards in the throttled one: every other shop's {due} rewards and {due} \
         customers' lots expired in {:.1} s ({slices} slices; the whole run {:.1} s); the process's peak resident \
         memory {} KiB (emulator and seeding included), {} KiB above where the run began",
        others.as_secs_f64(),
        run.as_secs_f64(),
        peak_rss_kib(false),
        rss
    );

    // Shopify back: the backlog drains a page at a time, in slices of a short Lambda's time.
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let before = peak_rss_kib(true);
    let started = Instant::now();
    let later = at() + time::Duration::hours(2);
    let (done, slices) =
        scale::run_all::<ExpireReport, _>(&domains[..1], Duration::from_secs(25), |shop, cursor, deadline| {
            let deps = &stack.deps;
            async move { expire_slice(deps, &shop, later, cursor, Some(deadline)).await }
        })
        .await;
    let (drained, took) = (&done[0].0, started.elapsed());
    assert_eq!(drained.expired as u64, backlog, "{drained:?}");
    println!(
        "SCALE expire: the backlog of {backlog} expired in {:.1} s ({:.0} rewards/s) over {slices} slices of 25 s; \
         peak resident memory {} KiB, {} KiB above where the drain began",
        took.as_secs_f64(),
        backlog as f64 / took.as_secs_f64(),
        peak_rss_kib(false),
        peak_rss_kib(false).saturating_sub(before)
    );
}

/// A journal of a large shop's redemptions, walked by reconciliation in slices of a short Lambda's time
/// (how fast it lists), then every reward expired from the listings the walk wrote.
#[tokio::test]
async fn a_large_journal_is_walked_across_slices_and_every_reward_it_lists_expires() {
    let backlog = size("SCALE_BACKLOG", 400);
    let stack = Stack::start().await;
    let (shop, template) = scale::shop_with_template(&stack, "scale-journal").await;
    scale::seed_rewards(&stack, &shop, template, 1, backlog, true).await;
    let domains = vec![shop.id.clone()];
    let started = Instant::now();
    let (walked, slices) =
        scale::run_all::<ReconcileReport, _>(&domains, Duration::from_secs(25), |shop, cursor, deadline| {
            let deps = &stack.deps;
            async move { reconcile_slice(deps, &shop, Duration::ZERO, tally_tests::now(), cursor, Some(deadline)).await }
        })
        .await;
    let took = started.elapsed();
    assert_eq!(walked[0].0.errors, 0, "{:?}", walked[0].0);
    println!(
        "SCALE journal: {backlog} rewards listed from the journal by reconciliation in {:.1} s ({:.0} rewards/s) \
         over {slices} slices of 25 s",
        took.as_secs_f64(),
        backlog as f64 / took.as_secs_f64()
    );
    let (expired, _) =
        scale::run_all::<ExpireReport, _>(&domains, Duration::from_secs(25), |shop, cursor, deadline| {
            let deps = &stack.deps;
            async move { expire_slice(deps, &shop, at(), cursor, Some(deadline)).await }
        })
        .await;
    assert_eq!(expired[0].0.expired as u64, backlog, "every reward the walk listed: {:?}", expired[0].0);
}

#[tokio::test]
async fn a_large_shops_deletion_completes_across_slices_and_leaves_nothing() {
    let customers = size("SCALE_CUSTOMERS", 600);
    let stack = Stack::start().await;
    let (shop, _) = scale::shop_with_template(&stack, "scale-redact").await;
    scale::seed_customers(&stack, &shop, 1, 10, customers, 2).await;
    let uninstalled = json!({"id": 1, "myshopify_domain": shop.domain});
    assert_eq!(stack.webhook(&stack.api, &shop, "app/uninstalled", "u-1", &uninstalled).await.0, 200);
    let redact = json!({"shop_domain": shop.domain});
    for delivery in ["s-1", "s-2"] {
        let (status, body) = stack.webhook(&stack.api, &shop, "shop/redact", delivery, &redact).await;
        assert_eq!((status, &body["shopDeletion"]), (200, &json!("recorded")), "{body}");
    }
    let started = Instant::now();
    // Slices of 22 s: 2 s of work each past the wind-down, so that the deletion spans several.
    let domains = vec![shop.id.clone()];
    let (done, slices) =
        scale::run_all::<RedactReport, _>(&domains, Duration::from_secs(22), |shop, cursor, deadline| {
            let deps = &stack.deps;
            async move { redact_slice(deps, &shop, cursor, Some(deadline)).await }
        })
        .await;
    let (report, took) = (&done[0].0, started.elapsed());
    assert_eq!((report.customers_deleted as u64, report.shops_deleted), (customers + 1, 1), "{report:?}");
    assert_eq!(scale::items_of(&stack, &shop.domain).await, 0, "no item of the shop is left, secrets included");
    assert!(stack.secrets_of(&shop.domain).await.is_none());
    println!(
        "SCALE redact: a shop of {} customers (half with lots) deleted in {:.1} s over {slices} slices",
        customers + 1,
        took.as_secs_f64()
    );
}
