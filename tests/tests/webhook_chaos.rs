//! Orders as a busy shop sends them: 200 rewards over 20 customers, most used by an order whose webhooks
//! come duplicated, delayed and out of order (some cancelled), with refunds and expiry runs racing them and
//! 30% of Tally's Shopify calls failing. Then reconciliation, and the audit is clean, and every customer's
//! points are accounted for.

use std::collections::BTreeMap;
use std::sync::Mutex;

use futures::future::join_all;
use serde_json::{json, Value};
use tally_tests::{Stack, TestShop};

const CUSTOMERS: u64 = 20;
const REWARDS_EACH: usize = 10;
const START: i64 = 2000;
const COST: i64 = 10;

/// A small deterministic generator, so that a failing run can be run again as it was.
struct Dice(u64);

impl Dice {
    fn roll(&mut self, sides: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % sides
    }
}

async fn redeem_all(stack: &Stack, shop: &TestShop, rule: u64) -> Vec<(u64, Value)> {
    let redemptions = (0..CUSTOMERS).flat_map(|c| (0..REWARDS_EACH).map(move |i| (1 + c, i % 2 == 0)));
    let replies = join_all(redemptions.map(|(customer, delayed)| async move {
        let body = json!({"customerId": customer, "redeemRuleId": rule, "delayPointsDeduction": delayed});
        (customer, stack.post(&shop.key, "/api/external/redeem-points", body).await)
    }))
    .await;
    replies
        .into_iter()
        .filter(|(_, r)| matches!(r.status, 200 | 202))
        .map(|(c, r)| (c, r.body["reward"].clone()))
        .collect()
}

/// An order for one reward, as the shop's checkout makes it; what the emulator answered.
async fn order(stack: &Stack, shop: &TestShop, customer: u64, code: &str, dice: &mut Dice) -> u16 {
    let cancel = dice.roll(5) == 0;
    let options = json!({"codes": [code], "customerId": customer, "copies": 1 + dice.roll(3),
        "distinctDeliveries": dice.roll(2) == 0, "delayMs": dice.roll(300), "cancel": cancel,
        "cancelFirst": cancel && dice.roll(2) == 0});
    let url = format!("{}/__emulator/shops/{}/orders", stack.emulator, shop.domain);
    stack.http.post(url).json(&options).send().await.map(|r| r.status().as_u16()).unwrap_or(0)
}

#[tokio::test]
async fn orders_refunds_and_expiry_racing_under_shopify_faults_leave_every_point_accounted_for() {
    let rule = json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT", "pointsCost": COST, "discountValue": "1.00", "expiresAfterDays": 1});
    let customers: Vec<(u64, i64)> = (1..=CUSTOMERS).map(|c| (c, START)).collect();
    let (stack, shop, rule) = Stack::with_rule("webhook-chaos", rule, &customers).await;
    let rewards = redeem_all(&stack, &shop, rule).await;
    // Shopify counts a code's use a moment after the order: refunds and expiry can miss a fresh one.
    stack.control("POST", &format!("/__emulator/shops/{}/settings", shop.domain), json!({"usageLagMs": 300})).await;
    stack.control("POST", "/__emulator/faults", json!({"mode": "mixed", "rate": 0.3})).await;

    let placed = Mutex::new(BTreeMap::<u16, usize>::new());
    let refunds = Mutex::new(BTreeMap::<u16, usize>::new());
    let work = rewards.iter().enumerate().map(|(i, (customer, reward))| {
        let (stack, shop, placed, refunds) = (&stack, &shop, &placed, &refunds);
        // Each reward's dice of its own: the run does not depend on which task rolls first.
        let mut dice = Dice(20261126 ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        async move {
            let code = reward["discountCode"].as_str().unwrap_or_default();
            let refund = async {
                if i % 4 == 0 {
                    let path = format!("/api/external/rewards/{}/refund", reward["id"]);
                    let reply = stack.post(&shop.key, &path, json!({"customerId": customer})).await;
                    *refunds.lock().unwrap().entry(reply.status).or_default() += 1;
                }
            };
            // Some rewards are never used: they are expiry's. The others' orders come over a second or so.
            let ordered = async {
                if i % 5 == 1 {
                    return;
                }
                let wait = dice.roll(1200);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                let status = order(stack, shop, *customer, code, &mut dice).await;
                *placed.lock().unwrap().entry(status).or_default() += 1;
            };
            futures::join!(ordered, refund);
        }
    });
    let later = tally_tests::now() + time::Duration::days(2);
    let expiry = async {
        let mut expired = 0;
        for _ in 0..2 {
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            let report = tally_app::expire::expire(&stack.deps, Some(&shop.id), later, None).await.unwrap();
            expired += report.expired;
        }
        expired
    };
    let (_, expired_racing) = futures::join!(join_all(work), expiry);

    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    let reconciled = stack.reconcile(&shop).await;
    // Rewards Shopify failed for were put off: the run after their wait settles them.
    let after_the_wait = later + time::Duration::hours(3);
    let settled = tally_app::expire::expire(&stack.deps, Some(&shop.id), after_the_wait, None).await.unwrap();
    let audit = stack.assert_audit_clean(&shop).await;

    // What Shopify took: each code an order used.
    let used_in_shopify: BTreeMap<String, u64> = stack
        .discounts(&shop)
        .await
        .iter()
        .map(|d| (d["code"].as_str().unwrap().to_string(), d["used"].as_u64().unwrap()))
        .collect();
    let mut statuses = BTreeMap::<String, usize>::new();
    for customer in 1..=CUSTOMERS {
        let loyalty = stack.loyalty(&shop, customer).await;
        let mut taken = 0;
        for reward in loyalty["rewards"].as_array().unwrap() {
            let uses = reward["discountCode"].as_str().and_then(|c| used_in_shopify.get(c)).copied().unwrap_or(0);
            let counted =
                reward["status"] == "USED" || (reward["status"] == "REFUNDED" && !reward["orderId"].is_null());
            assert_eq!(uses > 0, counted, "an order that used a code is counted, and only then: {reward}");
            let status = reward["status"].as_str().unwrap();
            *statuses.entry(status.into()).or_default() += 1;
            let immediate = reward["deductionMode"] == "IMMEDIATE";
            taken += match status {
                "USED" => COST,
                "UNUSED" | "PENDING" if immediate => COST,
                "EXPIRED" if !reward["pointsReturned"].as_bool().unwrap() => COST,
                _ => 0,
            };
        }
        let (available, reserved) =
            (loyalty["availablePoints"].as_i64().unwrap(), loyalty["reservedPoints"].as_i64().unwrap());
        assert_eq!(available + reserved + taken, START, "customer {customer}: {loyalty}");
        assert_eq!(loyalty["spentPoints"].as_i64(), Some(taken), "customer {customer}");
    }
    println!(
        "webhook chaos: {} rewards; orders answered {:?}; refunds answered {:?}; {} expired while orders ran, {} after; \
         reconcile {{issued: {}, failed: {}, refunds finished: {}, abandoned: {}}}; rewards {statuses:?}; \
         audit of {} ledger entries clean, {} notes",
        rewards.len(),
        placed.lock().unwrap(),
        refunds.lock().unwrap(),
        expired_racing,
        settled.expired,
        reconciled.issued,
        reconciled.failed,
        reconciled.refunds_finished,
        reconciled.refunds_abandoned,
        audit.ledger_entries,
        audit.notes.len(),
    );
    for note in &audit.notes {
        println!("  note: {note}");
    }
    assert!(statuses.get("USED").is_some_and(|n| *n > 20), "orders went through: {statuses:?}");
}
