//! The audit of one shop's invariants: every balance is the sum of its ledger, every reward's status
//! agrees with its ledger entries, every unused code is in Shopify, and every Tally code in Shopify
//! belongs to a reward that should have one.

use serde::Serialize;

use super::{shopify_down, Deps};
use crate::domain::customer::Customer;
use crate::domain::error::TallyError;
use crate::domain::ledger::{LedgerEntry, LedgerKind};
use crate::domain::reward::{DeductionMode, Reward, RewardKind, RewardStatus};
use crate::domain::rfc3339;
use crate::domain::shop::Shop;

#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    pub customers: usize,
    pub rewards: usize,
    pub ledger_entries: usize,
    pub codes_in_shopify: usize,
    /// What disagrees: each is a broken invariant.
    pub problems: Vec<String>,
    /// What needs attention but breaks nothing yet: rewards pending or waiting for an operator.
    pub notes: Vec<String>,
}

impl AuditReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

pub async fn audit(deps: &Deps, domain: &str) -> Result<AuditReport, TallyError> {
    let shop = deps.store.get_shop(domain).await?.ok_or_else(|| TallyError::ShopNotFound(domain.into()))?;
    let shopify = super::access::shopify(deps, &shop);
    let mut report = AuditReport::default();
    for customer_id in deps.store.list_customers(domain).await? {
        let Some((customer, rewards)) = deps.store.loyalty(domain, customer_id).await? else { continue };
        let ledger = deps.store.ledger(domain, customer.customer_id).await?;
        report.customers += 1;
        report.rewards += rewards.len();
        report.ledger_entries += ledger.len();
        check_ledger(&customer, &ledger, &mut report.problems);
        for reward in &rewards {
            check_reward(reward, &ledger, &mut report);
            if reward.status == RewardStatus::Unused {
                if let Some(code) = &reward.discount_code {
                    let found = shopify.find_discount(code).await.map_err(shopify_down)?;
                    check_unused_code(reward, code, found.map(|f| f.active), &mut report);
                }
            }
        }
    }
    check_shopify_codes(deps, &shop, &mut report).await?;
    Ok(report)
}

/// The ledger is gapless, never negative, and sums to the balance.
fn check_ledger(customer: &Customer, ledger: &[LedgerEntry], problems: &mut Vec<String>) {
    let who = format!("customer {}", customer.customer_id);
    let mut running = 0;
    for (i, entry) in ledger.iter().enumerate() {
        running += entry.delta;
        if entry.seq != i as u64 + 1 {
            problems.push(format!("{who}: ledger entry {} is out of sequence (expected {})", entry.seq, i + 1));
        }
        if entry.balance_after != running || running < 0 {
            problems.push(format!(
                "{who}: ledger entry {} says {} but the entries sum to {running}",
                entry.seq, entry.balance_after
            ));
        }
    }
    let reserved: i64 = ledger.iter().map(|e| e.reserved_delta).sum();
    if reserved != customer.reserved_points || reserved < 0 {
        problems
            .push(format!("{who}: {} points reserved, but the ledger reserves {reserved}", customer.reserved_points));
    }
    if customer.lots.total() != customer.available_points {
        problems.push(format!(
            "{who}: {} points available, but the lots hold {}",
            customer.available_points,
            customer.lots.total()
        ));
    }
    if running != customer.available_points || ledger.len() as u64 != customer.seq {
        problems.push(format!(
            "{who}: balance {} after {} changes, but the ledger sums to {running} over {} entries",
            customer.available_points,
            customer.seq,
            ledger.len()
        ));
    }
}

/// An unused reward's code works in Shopify. A refund under way whose code still works is noted; one that
/// stopped after the code was deactivated is a problem until reconcile finishes it.
fn check_unused_code(reward: &Reward, code: &str, active: Option<bool>, report: &mut AuditReport) {
    let id = reward.id;
    let halfway = match &reward.refund_requested {
        Some(request) => format!(": a refund asked at {} stopped halfway (reconcile finishes it)", rfc3339(request.at)),
        None => String::new(),
    };
    match (active, &reward.refund_requested) {
        (Some(true), None) => {}
        (Some(true), Some(request)) => report
            .notes
            .push(format!("reward {id} is being refunded since {} (reconcile settles it)", rfc3339(request.at))),
        (None, _) => {
            report.problems.push(format!("reward {id} is UNUSED but its code {code} is not in Shopify{halfway}"))
        }
        (Some(false), _) => report
            .problems
            .push(format!("reward {id} is UNUSED but its code {code} no longer works in Shopify{halfway}")),
    }
}

/// The ledger entries a reward must have, given its status: one debit (or reservation), the payment of a
/// reservation once its order came, and one return exactly when its points came back.
fn check_reward(reward: &Reward, ledger: &[LedgerEntry], report: &mut AuditReport) {
    use RewardStatus::*;
    let count = |kind| ledger.iter().filter(|e| e.reward_id == Some(reward.id) && e.kind == kind).count();
    // A refunded reward was either used and its order cancelled, or taken back unused (no order).
    let refunded_unused = reward.status == Refunded && reward.order_id.is_none();
    let used =
        matches!(reward.status, Used | Refunded) && !refunded_unused && reward.reward_type == RewardKind::DiscountCode;
    let must_return = matches!(reward.status, Failed | Refunded);
    // A late use: an order used the code after the points had come back, and took them again.
    let late = reward.points_taken_late.is_some();
    let retaken = usize::from(reward.points_taken_late.is_some_and(|points| points > 0));
    let expected = match reward.deduction_mode {
        DeductionMode::Immediate => [
            (LedgerKind::Redeem, 1),
            (LedgerKind::RedeemReversed, usize::from(late) + usize::from(reward.points_returned)),
            (LedgerKind::LateUse, retaken),
        ]
        .to_vec(),
        DeductionMode::OnOrder => [
            (LedgerKind::Reserve, 1),
            (LedgerKind::ReservationSpent, usize::from(used && !late)),
            (
                LedgerKind::ReservationReleased,
                usize::from(matches!(reward.status, Failed | Expired) || refunded_unused || late),
            ),
            (LedgerKind::RedeemReversed, usize::from(reward.status == Refunded && !refunded_unused)),
            (LedgerKind::LateUse, retaken),
        ]
        .to_vec(),
    };
    for (kind, n) in expected {
        if count(kind) != n {
            report.problems.push(format!(
                "reward {} is {} ({}) but the ledger has {} {kind} entries for it, not {n}",
                reward.id,
                reward.status,
                reward.deduction_mode,
                count(kind)
            ));
        }
    }
    if must_return && !reward.points_returned {
        report.problems.push(format!("reward {} is {} but its points were not returned", reward.id, reward.status));
    }
    if let Some(taken) = reward.points_taken_late {
        let order = reward.order_name.as_deref().unwrap_or("an order");
        let kept = reward.points_redeemed - taken;
        let kept = if kept > 0 { format!("; the customer kept {kept} points") } else { String::new() };
        report.notes.push(format!(
            "reward {} was used by {order} after its points had been returned; {taken} of its {} points were taken again{kept}",
            reward.id, reward.points_redeemed
        ));
    }
    match (&reward.status, &reward.review_reason) {
        (RewardStatus::Pending, Some(reason)) => {
            report.notes.push(format!("reward {} awaits an operator's review: {reason}", reward.id))
        }
        (RewardStatus::Pending, None) => {
            report.notes.push(format!("reward {} is pending; reconcile settles it", reward.id))
        }
        _ => {}
    }
}

/// Every code in Shopify with the shop's prefix belongs to a reward that holds it.
async fn check_shopify_codes(deps: &Deps, shop: &Shop, report: &mut AuditReport) -> Result<(), TallyError> {
    let shopify = super::access::shopify(deps, shop);
    let codes = shopify.list_discount_codes().await.map_err(shopify_down)?;
    for (_, code) in codes.iter().filter(|(_, code)| code.to_uppercase().starts_with(&shop.code_prefix)) {
        report.codes_in_shopify += 1;
        let Some(owner) = deps.store.code_owner(&shop.domain, code).await? else {
            report.problems.push(format!("code {code} is in Shopify but no reward has it"));
            continue;
        };
        let reward = deps.store.reward(&shop.domain, owner.customer_id, owner.reward_id).await?;
        // A used, refunded or expired reward's code stays in Shopify (used, or deactivated); a failed one never may.
        if reward.reward_type != RewardKind::DiscountCode || reward.status == RewardStatus::Failed {
            report
                .problems
                .push(format!("code {code} is in Shopify but its reward {} is {}", reward.id, reward.status));
        }
    }
    Ok(())
}
