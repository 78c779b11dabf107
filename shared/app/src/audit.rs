//! The audit of one shop's invariants: every balance is the sum of its ledger, every reward's status
//! agrees with its ledger entries, every unused code is in Shopify, and every Tally code in Shopify
//! belongs to a reward that should have one.

use serde::Serialize;
use tally_domain::customer::Customer;
use tally_domain::error::Missing;
use tally_domain::ledger::{LedgerEntry, LedgerKind};
use tally_domain::reward::{DeductionMode, Refund, Reward, RewardKind, RewardState, RewardStatus};
use tally_domain::rfc3339;
use tally_domain::shop::{Shop, ShopDomain};

use crate::error::Unavailable;
use crate::ports::store::{Customers, Ledgers, Rewards, ShopRecords};
use crate::ports::{Shopify, ShopifyShop, Store};
use crate::{access, Deps};

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

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<crate::ports::StoreError> for AuditError {
    fn from(e: crate::ports::StoreError) -> Self {
        AuditError::Unavailable(e.into())
    }
}

pub async fn audit<S: Store, H: Shopify>(deps: &Deps<S, H>, domain: &ShopDomain) -> Result<AuditReport, AuditError> {
    let store = deps.store.shop(domain);
    let shop = store.get().await?.ok_or_else(|| Missing::Shop(domain.clone()))?;
    let shopify = access::shopify(deps, &shop, None);
    let mut report = AuditReport::default();
    for customer_id in store.customer_ids().await? {
        let Some((customer, rewards)) = store.customer_with_rewards(customer_id).await? else { continue };
        let ledger = store.ledger(customer.customer_id).await?;
        report.customers += 1;
        report.rewards += rewards.len();
        report.ledger_entries += ledger.len();
        check_ledger(&customer, &ledger, &mut report.problems);
        for reward in &rewards {
            check_reward(reward, &ledger, &mut report);
            if let (RewardStatus::Unused, Some(code)) = (reward.status(), &reward.discount_code) {
                let found = shopify.find_discount(code).await.map_err(Unavailable::shopify)?;
                check_unused_code(reward, code, found.map(|f| f.active), &mut report);
            }
        }
    }
    check_shopify_codes(deps, &shop, &mut report).await?;
    Ok(report)
}

/// The ledger is gapless, never negative, and sums to the balance; the lots hold the balance.
pub fn check_ledger(customer: &Customer, ledger: &[LedgerEntry], problems: &mut Vec<String>) {
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
    let request = reward.refund_request();
    let halfway = match request {
        Some(request) => format!(": a refund asked at {} stopped halfway (reconcile finishes it)", rfc3339(request.at)),
        None => String::new(),
    };
    match (active, request) {
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

/// The ledger entries a reward must have, given its state: one debit (or reservation), the payment of a
/// reservation once its order came, and one return exactly when its points came back.
pub fn check_reward(reward: &Reward, ledger: &[LedgerEntry], report: &mut AuditReport) {
    let count = |kind| ledger.iter().filter(|e| e.reward_id == Some(reward.id) && e.kind == kind).count();
    let taken_late = reward.state.usage().and_then(|usage| usage.taken_late);
    let refunded_unused = matches!(reward.state, RewardState::Refunded(Refund::ByShop { .. }));
    let used = reward.state.usage().is_some() && reward.reward_type == RewardKind::DiscountCode;
    let late = taken_late.is_some();
    let retaken = usize::from(taken_late.is_some_and(|points| points > 0));
    let status = reward.status();
    let expected = match reward.deduction_mode {
        // A reward moved in was paid for in the program it came from.
        DeductionMode::Immediate => vec![
            (LedgerKind::Redeem, usize::from(!reward.imported)),
            (LedgerKind::RedeemReversed, usize::from(late) + usize::from(reward.points_returned())),
            (LedgerKind::LateUse, retaken),
        ],
        DeductionMode::OnOrder => vec![
            (LedgerKind::Reserve, 1),
            (LedgerKind::ReservationSpent, usize::from(used && !late)),
            (
                LedgerKind::ReservationReleased,
                usize::from(matches!(status, RewardStatus::Failed | RewardStatus::Expired) || refunded_unused || late),
            ),
            (LedgerKind::RedeemReversed, usize::from(status == RewardStatus::Refunded && !refunded_unused)),
            (LedgerKind::LateUse, retaken),
        ],
    };
    for (kind, n) in expected {
        if count(kind) != n {
            report.problems.push(format!(
                "reward {} is {status} ({}) but the ledger has {} {kind} entries for it, not {n}",
                reward.id,
                reward.deduction_mode,
                count(kind)
            ));
        }
    }
    if let Some(taken) = taken_late {
        let order = reward.order().map_or("an order", |o| o.name.as_str());
        let kept = reward.points_redeemed - taken;
        let kept = if kept > 0 { format!("; the customer kept {kept} points") } else { String::new() };
        report.notes.push(format!(
            "reward {} was used by {order} after its points had been returned; {taken} of its {} points were taken again{kept}",
            reward.id, reward.points_redeemed
        ));
    }
    match (status, reward.review_reason()) {
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
async fn check_shopify_codes<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    report: &mut AuditReport,
) -> Result<(), AuditError> {
    let store = deps.store.shop(&shop.domain);
    let codes = access::shopify(deps, shop, None).list_discount_codes().await.map_err(Unavailable::shopify)?;
    for (_, code) in codes.iter().filter(|(_, code)| code.to_uppercase().starts_with(&shop.code_prefix)) {
        report.codes_in_shopify += 1;
        let Some((customer_id, reward_id)) = store.code_owner(code).await? else {
            report.problems.push(format!("code {code} is in Shopify but no reward has it"));
            continue;
        };
        let Some(reward) = store.reward(customer_id, reward_id).await? else {
            report.problems.push(format!("code {code} is in Shopify but its reward {reward_id} is gone"));
            continue;
        };
        // A used, refunded or expired reward's code stays in Shopify (used, or deactivated); a failed one never may.
        if reward.reward_type != RewardKind::DiscountCode || reward.status() == RewardStatus::Failed {
            report.problems.push(format!(
                "code {code} is in Shopify but its reward {} is {}",
                reward.id,
                reward.status()
            ));
        }
    }
    Ok(())
}
