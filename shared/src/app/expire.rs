//! Expiry: every `UNUSED` reward past its end has its discount deactivated in Shopify and becomes
//! `EXPIRED`; a reservation is released, and an immediate reward's points come back if the shop says so.

use super::codes::{self, Code};
use super::Deps;
use crate::domain::error::TallyError;
use crate::domain::Time;

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpireReport {
    pub shops: usize,
    pub expired: usize,
    /// Shopify could not be reached: left for the next run.
    pub still_active: usize,
    /// An order used the code in Shopify: left for that order's webhook.
    pub awaiting_order: usize,
}

/// Expires what has ended by `at` (now, except in tests).
pub async fn expire(deps: &Deps, only_shop: Option<&str>, at: Time) -> Result<ExpireReport, TallyError> {
    let shops = super::reconcile::shops(deps, only_shop).await?;
    let mut report = ExpireReport { shops: shops.len(), ..ExpireReport::default() };
    for shop in &shops {
        let shopify = deps.shopify.for_shop(shop);
        for reward in deps.store.expiring_rewards(&shop.domain, at).await? {
            // Shopify first: a code that still works must not outlive its reward, and one an order used is
            // that order's to settle.
            let ended = match codes::in_shopify(&shopify, &reward).await {
                Ok(Code::Used) => {
                    report.awaiting_order += 1;
                    continue;
                }
                Ok(Code::Unused { id, active: true }) => shopify.deactivate_discount(&id).await,
                Ok(Code::Absent | Code::Unused { active: false, .. }) => Ok(()),
                Err(e) => Err(e),
            };
            if let Err(e) = ended {
                tracing::warn!(reward_id = reward.id, error = %e, "could not deactivate; next run tries again");
                report.still_active += 1;
                continue;
            }
            let return_points = shop.settings.return_points_on_expiry;
            if deps.store.expire_reward(&shop.domain, &reward, return_points, super::now()).await? {
                report.expired += 1;
                tracing::info!(shop = %shop.domain, reward_id = reward.id, "reward expired");
            }
        }
    }
    Ok(report)
}
