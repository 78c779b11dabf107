//! The invariants, judged on a snapshot after every step. Each broken one is a violation, in words.

use std::collections::BTreeMap;

use tally_app::audit::{check_ledger, check_reward, AuditReport};
use tally_app::refund::IN_FLIGHT;
use tally_app::settle::DEFAULT_GRACE;
use tally_domain::customer::Customer;
use tally_domain::reward::{Listing, Reward, RewardState};
use tally_domain::Time;

use crate::book::Book;
use crate::run::KEYED;
use crate::snapshot::{Held, Snapshot};

/// What holds after every step: the ledger replays to the balance and the lots hold it, never below
/// zero; each reward has exactly the ledger entries its state calls for (every key and every delivery
/// took effect at most once); no reward took points from a lot already expired; a key gave one reward,
/// and no more rewards stand (not failed) than redemptions were sent.
pub fn always(snapshot: &Snapshot, book: &Book) -> Vec<String> {
    let mut report = AuditReport::default();
    let mut rewards = 0;
    for (n, shop) in snapshot.shops.iter().enumerate() {
        for Held { customer, rewards: theirs, ledger } in &shop.customers {
            check_ledger(customer, ledger, &mut report.problems);
            let mut keyed = BTreeMap::new();
            for entry in ledger.iter().filter(|e| e.reason.starts_with(KEYED)) {
                *keyed.entry(&entry.reason).or_insert(0) += 1;
            }
            if let Some((reason, times)) = keyed.into_iter().find(|(_, times)| *times > 1) {
                report.problems.push(format!("shop {n}: the adjustment \"{reason}\" took effect {times} times"));
            }
            if customer.available_points < 0 || customer.reserved_points < 0 {
                report.problems.push(format!("shop {n}: customer {} is below zero", customer.customer_id));
            }
            for reward in theirs {
                check_reward(reward, ledger, &mut report);
                if let Some(lot) = reward.lots.iter().find(|l| l.expires_at.is_some_and(|end| end <= reward.create_at))
                {
                    report
                        .problems
                        .push(format!("reward {} took points from a lot expired at {:?}", reward.id, lot.expires_at));
                }
            }
            rewards += theirs.iter().filter(|r| !matches!(r.state, RewardState::Failed { .. })).count();
        }
    }
    if rewards > book.redemptions {
        report.problems.push(format!("{rewards} rewards that did not fail, from {} redemptions", book.redemptions));
    }
    report.problems
}

/// What holds once reconcile has run, untroubled, with Shopify up: every discount that can still be used
/// belongs to a reward that is UNUSED or PENDING; every UNUSED reward's code works, unless its end has come
/// (the expire run's to tidy) or an order used it; nothing is left PENDING or halfway refunded past the grace
/// but what waits for an operator; nothing that may still need a listing is left only in its journal.
pub fn after_reconcile(snapshot: &Snapshot) -> Vec<String> {
    let now = snapshot.at;
    let mut problems = Vec::new();
    for (n, shop) in snapshot.shops.iter().enumerate() {
        let by_code: BTreeMap<String, &Reward> = shop
            .customers
            .iter()
            .flat_map(|held| &held.rewards)
            .filter_map(|r| Some((r.discount_code.clone()?.to_uppercase(), r)))
            .collect();
        for discount in shop.discounts.iter().filter(|d| d.active && d.uses == 0) {
            match by_code.get(&discount.code.to_uppercase()) {
                Some(reward) if matches!(reward.state, RewardState::Unused { .. } | RewardState::Pending { .. }) => {}
                Some(reward) => problems.push(format!(
                    "shop {n}: code {} works in Shopify but its reward {} is {}",
                    discount.code,
                    reward.id,
                    reward.status()
                )),
                None => {
                    problems.push(format!("shop {n}: code {} works in Shopify and no reward holds it", discount.code))
                }
            }
        }
        for reward in shop.customers.iter().flat_map(|held| &held.rewards) {
            problems.extend(settled(n, reward, shop, now));
        }
    }
    problems
}

fn settled(n: usize, reward: &Reward, shop: &crate::snapshot::ShopSnapshot, now: Time) -> Option<String> {
    let ended = reward.expire_date.is_some_and(|end| end <= now);
    let listable = matches!(reward.state, RewardState::Pending { .. } | RewardState::Unused { .. });
    if reward.journaled && listable && reward.create_at + DEFAULT_GRACE < now {
        return Some(format!("shop {n}: reward {} is still only in its journal after reconcile", reward.id));
    }
    // Due by its listing: a reward the jobs could not settle was put off, and is due again at its time.
    let listed = match reward.listing() {
        Some(Listing::Pending(at) | Listing::Refunding(at)) => at,
        _ => reward.create_at,
    };
    match &reward.state {
        RewardState::Pending { review: None } if listed + DEFAULT_GRACE < now => {
            Some(format!("shop {n}: reward {} is still PENDING after reconcile", reward.id))
        }
        RewardState::Unused { refund: Some(_) } if listed + IN_FLIGHT.max(DEFAULT_GRACE) < now => {
            Some(format!("shop {n}: reward {}'s refund is still halfway after reconcile", reward.id))
        }
        RewardState::Unused { refund: None } if !ended => {
            let code = reward.discount_code.as_deref()?;
            let live = shop.discounts.iter().any(|d| d.code.eq_ignore_ascii_case(code) && d.active);
            (!live).then(|| format!("shop {n}: reward {} is UNUSED but its code {code} does not work", reward.id))
        }
        _ => None,
    }
}

/// What holds once the expire run has done everything: no customer keeps a lot whose time has come.
pub fn after_expire(snapshot: &Snapshot) -> Vec<String> {
    let now = snapshot.at;
    let held = snapshot.shops.iter().enumerate().flat_map(|(n, shop)| shop.customers.iter().map(move |h| (n, h)));
    held.filter(|(_, held)| held.customer.available_at(now) != held.customer.available_points)
        .map(|(n, held)| {
            format!(
                "shop {n}: customer {} keeps lots past their time after the expire run: {:?}",
                held.customer.customer_id, held.customer.lots
            )
        })
        .collect()
}

/// A redemption followed by its full refund leaves the customer's points, lots and expiries as they were
/// (once the lots that ended by then are taken out, as any change takes them out first).
pub fn restored(before: &Customer, after: &Customer, at: Time) -> Option<String> {
    let before = before.expire_lots(at).map_or_else(|| before.clone(), |applied| applied.customer);
    let same = (before.available_points, before.reserved_points, &before.lots)
        == (after.available_points, after.reserved_points, &after.lots);
    (!same).then(|| {
        format!(
            "a redemption and its refund changed customer {}: {} points in {:?} before, {} in {:?} after",
            after.customer_id, before.available_points, before.lots, after.available_points, after.lots
        )
    })
}
