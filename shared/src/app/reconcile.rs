//! Reconciliation: settles every reward left `PENDING` longer than a grace period, because the Lambda
//! that took its points died or lost Shopify's answer. See `settle` for how.

use std::time::Duration;

use super::codes::{self, Code};
use super::settle::settle_pending;
use super::{now, Deps};
use crate::domain::error::TallyError;
use crate::domain::reward::{Reward, RewardKind, RewardStatus};
use crate::domain::shop::Shop;

/// What one run did.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReconcileReport {
    pub shops: usize,
    pub pending: usize,
    /// Found in Shopify: now `UNUSED`.
    pub issued: usize,
    /// Not in Shopify: points given back, now `FAILED`.
    pub failed: usize,
    /// Store credit whose outcome cannot be known: left for an operator.
    pub marked_for_review: usize,
    /// Shopify could not be asked: left for the next run.
    pub still_pending: usize,
    /// Refunds that stopped after the code was deactivated: finished, the points returned.
    pub refunds_finished: usize,
    /// Refunds that stopped before the code was deactivated: taken back, the reward unused again.
    pub refunds_abandoned: usize,
}

/// Settles the pending rewards of one shop, or of every shop, older than `grace`.
pub async fn reconcile(deps: &Deps, only_shop: Option<&str>, grace: Duration) -> Result<ReconcileReport, TallyError> {
    let shops = shops(deps, only_shop).await?;
    let cutoff = now() - grace;
    let mut report = ReconcileReport { shops: shops.len(), ..ReconcileReport::default() };
    for shop in &shops {
        for reward in deps.store.pending_rewards(&shop.domain, cutoff).await? {
            report.pending += 1;
            let settled = settle_pending(deps, shop, &reward, true).await?;
            match (settled.status, settled.reward_type) {
                (RewardStatus::Failed, _) => report.failed += 1,
                (RewardStatus::Pending, RewardKind::StoreCredit) if settled.review_reason.is_some() => {
                    report.marked_for_review += 1
                }
                (RewardStatus::Pending, _) => report.still_pending += 1,
                _ => report.issued += 1,
            }
            tracing::info!(shop = %shop.domain, reward_id = reward.id, status = %settled.status, "reconciled");
        }
        for reward in deps.store.refunds_in_progress(&shop.domain, cutoff).await? {
            match finish_refund(deps, shop, &reward).await? {
                Some(true) => report.refunds_finished += 1,
                Some(false) => report.refunds_abandoned += 1,
                None => report.still_pending += 1,
            }
        }
    }
    tracing::info!(?report, "reconciliation done");
    Ok(report)
}

/// The shop a job is asked to visit, or every shop.
pub(crate) async fn shops(deps: &Deps, only_shop: Option<&str>) -> Result<Vec<Shop>, TallyError> {
    match only_shop {
        Some(domain) => {
            let shop = deps.store.get_shop(domain).await?;
            Ok(vec![shop.ok_or_else(|| TallyError::ShopNotFound(domain.into()))?])
        }
        None => deps.store.list_shops().await,
    }
}

/// A refund that stopped halfway, settled by what Shopify holds: its code no longer works, so the refund
/// is finished (`Some(true)`); it still works, or an order used it, so the refund is abandoned
/// (`Some(false)`); Shopify cannot be asked (`None`).
async fn finish_refund(deps: &Deps, shop: &Shop, reward: &Reward) -> Result<Option<bool>, TallyError> {
    let Some(request) = &reward.refund_requested else { return Ok(Some(false)) };
    let code = match codes::in_shopify(&deps.shopify.for_shop(shop), reward).await {
        Ok(code) => code,
        Err(e) => {
            tracing::warn!(reward_id = reward.id, error = %e, "could not look the code up; the refund waits");
            return Ok(None);
        }
    };
    let store = &deps.store;
    let finished = match code {
        Code::Absent | Code::Unused { active: false, .. } => {
            store.refund_reward(&shop.domain, reward, &request.reason, None, now()).await?
        }
        Code::Used | Code::Unused { active: true, .. } => {
            store.abandon_refund(&shop.domain, reward).await?;
            false
        }
    };
    tracing::info!(shop = %shop.domain, reward_id = reward.id, finished, "a refund left halfway was settled");
    Ok(Some(finished))
}
