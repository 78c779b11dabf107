//! `POST /api/external/rewards/{id}/refund`: the shop takes an unused reward back. Its code stops working
//! in Shopify first; then, in one transaction, the reward becomes `REFUNDED` and its points come back (or
//! its reservation is released). A code that still works never outlives its reward.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;

use crate::domain::customer::LoyaltyView;
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::redemption::CustomerRef;
use crate::domain::reward::{Reward, RewardStatus};
use crate::domain::shop::Shop;
use crate::domain::{now, parse_json, rfc3339};
use crate::http::{body, json_response, path_id};
use crate::idempotency::write;
use crate::redeem::Redeemed;
use crate::store::Claim;
use crate::Deps;

/// The body: whose reward it is (the reward's id is in the path), and optionally why.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundRequest {
    pub customer_id: Option<u64>,
    pub customer_email: Option<String>,
    pub reason: Option<String>,
}

const DEFAULT_REASON: &str = "refunded unused";

pub async fn handle(deps: &Deps, req: &Request) -> Response<Body> {
    write(deps, req, |shop, attempt| async move {
        let reward = match attempt.resume {
            Some(Effect::Refund { customer_id, reward_id }) => {
                deps.store.reward(&shop.domain, customer_id, reward_id).await?
            }
            _ => {
                let reward_id = path_id(req, "id")?;
                let request: RefundRequest = parse_json(body(req))?;
                let who = CustomerRef::from_parts(request.customer_id, request.customer_email.as_deref())?;
                let reason = match request.reason.as_deref().map(str::trim) {
                    None | Some("") => DEFAULT_REASON.to_string(),
                    Some(r) if r.chars().count() > 500 => {
                        return Err(TallyError::invalid("reason must be at most 500 characters"))
                    }
                    Some(r) => r.to_string(),
                };
                refund(deps, &shop, &who, reward_id, &reason, attempt.claim.as_ref()).await?
            }
        };
        let (customer, rewards) = deps
            .store
            .loyalty(&shop.domain, reward.customer_id)
            .await?
            .ok_or_else(|| TallyError::CustomerNotFound(reward.customer_id.to_string()))?;
        json_response(200, &Redeemed { loyalty: LoyaltyView::new(customer, rewards, &shop.currency), reward })
    })
    .await
}

/// Refunds the customer's reward; returns it as it now is.
pub async fn refund(
    deps: &Deps,
    shop: &Shop,
    who: &CustomerRef,
    reward_id: u64,
    reason: &str,
    claim: Option<&Claim>,
) -> Result<Reward, TallyError> {
    let customer = deps.store.find_customer(&shop.domain, who).await?;
    let reward = deps.store.reward(&shop.domain, customer.customer_id, reward_id).await?;
    refundable(&reward, &rfc3339(now()))?;
    if let Some(id) = &reward.discount_code_id {
        // Deactivating twice is harmless, so a retry after a failure below simply runs again.
        deps.shopify.for_shop(shop).deactivate_discount(id).await.map_err(|e| {
            TallyError::ShopifyNotReverted(format!("Shopify could not deactivate the code ({e}); try again"))
        })?;
    }
    if !deps.store.refund_reward(&shop.domain, &reward, reason, claim).await? {
        // An order used it (or another refund won) between the read and now.
        let current = deps.store.reward(&shop.domain, customer.customer_id, reward_id).await?;
        return Err(refundable(&current, "").err().unwrap_or(TallyError::Busy));
    }
    let refunded = deps.store.reward(&shop.domain, customer.customer_id, reward_id).await?;
    tracing::info!(customer_id = refunded.customer_id, reward_id, points = refunded.points_redeemed, "reward refunded");
    Ok(refunded)
}

/// Only an unused reward that has not reached its end can be refunded.
fn refundable(reward: &Reward, now: &str) -> Result<(), TallyError> {
    let why = match reward.status {
        RewardStatus::Unused => match reward.expire_date.as_deref() {
            Some(end) if !now.is_empty() && end <= now => format!("it expired at {end}"),
            _ => return Ok(()),
        },
        RewardStatus::Pending => "Shopify has not confirmed it yet; try again in a minute".into(),
        RewardStatus::Used if reward.discount_code.is_none() => "store credit cannot be taken back".into(),
        RewardStatus::Used => "an order used its code".into(),
        RewardStatus::Refunded => "it was refunded already".into(),
        RewardStatus::Expired => "it expired".into(),
        RewardStatus::Failed => "Shopify never issued it, and its points were returned".into(),
    };
    Err(TallyError::RewardNotRefundable(format!("Reward {} cannot be refunded: {why}", reward.id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reward(status: RewardStatus, expire_date: Option<&str>) -> Reward {
        let mut reward: Reward = serde_json::from_value(serde_json::json!({
            "id": 9, "shop": "s.myshopify.com", "customerId": 1, "pointRedeemRuleId": 1, "description": "$5 off",
            "discountCode": "T-ABC", "status": "UNUSED", "rewardType": "DISCOUNT_CODE",
            "discountType": "FIXED_AMOUNT", "currency": "USD", "pointsRedeemed": 100,
            "createAt": "2026-11-01T00:00:00Z"
        }))
        .unwrap();
        reward.status = status;
        reward.expire_date = expire_date.map(str::to_string);
        reward
    }

    #[test]
    fn only_an_unused_reward_before_its_end_is_refundable() {
        let now = "2026-11-20T00:00:00Z";
        assert!(refundable(&reward(RewardStatus::Unused, None), now).is_ok());
        assert!(refundable(&reward(RewardStatus::Unused, Some("2026-12-01T00:00:00Z")), now).is_ok());
        let expired = refundable(&reward(RewardStatus::Unused, Some("2026-11-19T00:00:00Z")), now).unwrap_err();
        assert!(expired.to_string().contains("expired"), "{expired}");
        for status in [
            RewardStatus::Pending,
            RewardStatus::Used,
            RewardStatus::Refunded,
            RewardStatus::Expired,
            RewardStatus::Failed,
        ] {
            assert_eq!(refundable(&reward(status, None), now).unwrap_err().code(), "REWARD_NOT_REFUNDABLE");
        }
    }
}
