//! Expiry: every `UNUSED` reward past its end has its discount deactivated in Shopify and becomes
//! `EXPIRED`; a reservation is released, and an immediate reward's points come back if the shop says so.

use serde::Serialize;

use crate::domain::error::TallyError;
use crate::domain::rfc3339;
use crate::Deps;

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExpireReport {
    pub shops: usize,
    pub expired: usize,
    /// Shopify could not be reached: left for the next run.
    pub still_active: usize,
}

/// Expires what has ended by `at` (now, except in tests).
pub async fn expire(
    deps: &Deps,
    only_shop: Option<&str>,
    at: time::OffsetDateTime,
) -> Result<ExpireReport, TallyError> {
    let shops = match only_shop {
        Some(domain) => vec![deps.store.get_shop(domain).await?.ok_or(TallyError::NotFound("no such shop"))?],
        None => deps.store.list_shops().await?,
    };
    let mut report = ExpireReport { shops: shops.len(), ..ExpireReport::default() };
    let cutoff = rfc3339(at);
    for shop in &shops {
        let shopify = deps.shopify.for_shop(shop);
        for reward in deps.store.expiring_rewards(&shop.domain, &cutoff).await? {
            if let Some(id) = &reward.discount_code_id {
                // Shopify first: a code that still works must not outlive its reward.
                if let Err(e) = shopify.deactivate_discount(id).await {
                    tracing::warn!(reward_id = reward.id, error = %e, "could not deactivate; next run tries again");
                    report.still_active += 1;
                    continue;
                }
            }
            if deps.store.expire_reward(&shop.domain, &reward, shop.settings.return_points_on_expiry).await? {
                report.expired += 1;
                tracing::info!(shop = %shop.domain, reward_id = reward.id, "reward expired");
            }
        }
    }
    Ok(report)
}
