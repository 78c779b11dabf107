//! The chaos run: 300 redemptions from 20 parallel clients that retry with their idempotency keys, while
//! the Shopify emulator fails 30% of calls in mixed ways. Then one reconciliation, and every invariant holds.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures::future::join_all;
use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

const CLIENTS: u64 = 20;
const PER_CLIENT: u64 = 15;
const CUSTOMERS: u64 = 10;
const COST: i64 = 100;
const START: i64 = 2000;

/// How one redemption ended for its client, after its retries.
async fn redeem_with_retries(stack: &Stack, shop: &TestShop, rule: u64, client: u64, n: u64) -> (String, u32) {
    let key = format!("chaos-{client}-{n}");
    let body = json!({"customerId": 1 + client % CUSTOMERS, "redeemRuleId": rule});
    for attempt in 0..20 {
        let reply = stack.post_once(&shop.key, &key, "/api/external/redeem-points", body.clone()).await;
        match (reply.status, reply.code()) {
            (200, _) => return ("issued".into(), attempt),
            (400, "INSUFFICIENT_POINTS") => return ("insufficient".into(), attempt),
            (503, "SHOPIFY_UNAVAILABLE") => return ("shopify unavailable".into(), attempt),
            // Accepted but not confirmed, in progress, or a passing failure: the same key again.
            (202, _) | (409, _) | (503, _) => tokio::time::sleep(Duration::from_millis(100)).await,
            (status, code) => panic!("unexpected answer {status} {code}: {:?}", reply.body),
        }
    }
    ("still pending".into(), 20)
}

#[tokio::test]
async fn three_hundred_redemptions_through_a_failing_shopify_lose_nothing() {
    let stack = Stack::start().await;
    let shop = stack.shop("chaos").await;
    let rule = stack
        .rule(
            &shop,
            json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": COST, "discountValue": "1.00"}),
        )
        .await;
    for customer in 1..=CUSTOMERS {
        stack.customer(&shop, customer, START).await;
    }
    stack.control("POST", "/__emulator/faults", json!({"mode": "mixed", "rate": 0.3})).await;

    let started = Instant::now();
    let clients = (0..CLIENTS).map(|client| {
        let (stack, shop) = (&stack, &shop);
        async move {
            let mut outcomes = Vec::new();
            for n in 0..PER_CLIENT {
                outcomes.push(redeem_with_retries(stack, shop, rule, client, n).await);
            }
            outcomes
        }
    });
    let outcomes: Vec<(String, u32)> = join_all(clients).await.into_iter().flatten().collect();
    let elapsed = started.elapsed();
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let report = stack.reconcile(&shop).await;

    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (outcome, _) in &outcomes {
        *counts.entry(outcome.as_str()).or_default() += 1;
    }
    let retries: u32 = outcomes.iter().map(|(_, r)| r).sum();
    let mut rewards: HashMap<String, usize> = HashMap::new();
    let mut spent = 0;
    for customer in 1..=CUSTOMERS {
        let loyalty = stack.loyalty(&shop, customer).await;
        for reward in loyalty["rewards"].as_array().unwrap() {
            *rewards.entry(reward["status"].as_str().unwrap().to_string()).or_default() += 1;
        }
        let balance = loyalty["availablePoints"].as_i64().unwrap();
        assert!(balance >= 0);
        spent += START - balance;
    }
    let codes = stack.discounts(&shop).await.len();
    let audit = stack.assert_audit_clean(&shop).await;
    println!(
        "chaos: {} redemptions in {elapsed:.1?} with {retries} retries: {counts:?}; after one reconcile \
         ({} pending: {} issued, {} failed): rewards {rewards:?}, {codes} codes in Shopify, audit of {} ledger entries clean",
        outcomes.len(),
        report.pending,
        report.issued,
        report.failed,
        audit.ledger_entries
    );
    assert_eq!(outcomes.len(), 300);
    assert_eq!(rewards.get("PENDING"), None, "nothing is left pending");
    let unused = rewards.get("UNUSED").copied().unwrap_or(0);
    assert_eq!(codes, unused, "a code in Shopify for every UNUSED reward, and none other");
    assert_eq!(spent, unused as i64 * COST, "exactly the issued rewards' points are gone");
    assert_eq!(counts.get("issued").copied().unwrap_or(0) + report.issued, unused);
}
