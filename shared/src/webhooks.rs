//! Shopify's webhooks: verified before anything is read, deduplicated by delivery, and idempotent in
//! their effects per reward and order, since one order can arrive through several deliveries.

use base64::Engine;
use hmac::{Hmac, Mac};
use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::domain::customer::Enrollment;
use crate::domain::error::TallyError;
use crate::domain::reward::RewardStatus;
use crate::domain::shop::Shop;
use crate::http::{body, json_response, respond, Reply};
use crate::Deps;

/// The parts of Shopify's REST Order that matter here.
#[derive(Debug, Deserialize)]
pub struct Order {
    pub id: u64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub discount_codes: Vec<DiscountCodeUse>,
}

#[derive(Debug, Deserialize)]
pub struct DiscountCodeUse {
    pub code: String,
}

/// The parts of Shopify's REST Customer that matter here.
#[derive(Debug, Deserialize)]
struct NewCustomer {
    id: u64,
    #[serde(default)]
    email: Option<String>,
}

pub async fn handle(deps: &Deps, req: &Request) -> Response<Body> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
    let (domain, topic, webhook_id) =
        (header("x-shopify-shop-domain").to_lowercase(), header("x-shopify-topic"), header("x-shopify-webhook-id"));
    let shop = match verified_shop(deps, &domain, &header("x-shopify-hmac-sha256"), body(req)).await {
        Ok(shop) => shop,
        Err(e) => return respond(Err(e)),
    };
    tracing::Span::current().record("shop", domain.as_str());
    if webhook_id.is_empty() {
        return respond(Err(TallyError::invalid("X-Shopify-Webhook-Id is missing")));
    }
    match deps.store.first_delivery(&domain, &webhook_id).await {
        Ok(true) => {}
        Ok(false) => return respond(json_response(200, &json!({"duplicate": true}))),
        Err(e) => return respond(Err(e)),
    }
    let result = dispatch(deps, &shop, &topic, body(req)).await;
    if let Err(e) = &result {
        if !matches!(e, TallyError::InvalidRequest(_)) {
            // Not handled: forget the delivery so that Shopify's retry is handled.
            if let Err(forget) = deps.store.forget_delivery(&domain, &webhook_id).await {
                tracing::error!(error = %forget, webhook_id, "could not forget a failed delivery");
            }
        }
    }
    respond(result)
}

/// The shop named by the delivery, if the signature is its client secret's HMAC of the raw body.
async fn verified_shop(deps: &Deps, domain: &str, signature: &str, body: &[u8]) -> Result<Shop, TallyError> {
    const UNSIGNED: TallyError = TallyError::Unauthorized("the webhook's signature is missing or wrong");
    if domain.is_empty() || signature.is_empty() {
        return Err(UNSIGNED);
    }
    let shop = deps.store.get_shop(domain).await?.ok_or(UNSIGNED)?;
    if verify(&shop.client_secret, body, signature) {
        Ok(shop)
    } else {
        Err(UNSIGNED)
    }
}

/// Base64 of HMAC-SHA256 over the raw body, compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// What Shopify signs: for tests, the emulator and the sample events.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn dispatch(deps: &Deps, shop: &Shop, topic: &str, body: &[u8]) -> Reply {
    let parse = |what: &str| -> Result<Value, TallyError> {
        serde_json::from_slice(body).map_err(|e| {
            tracing::warn!(topic, error = %e, "malformed webhook body under a valid signature");
            TallyError::invalid(format!("the {what} is not valid JSON: {e}"))
        })
    };
    let summary = match topic {
        "orders/create" => order_created(deps, shop, &typed(topic, parse("order")?)?).await?,
        "orders/cancelled" => order_cancelled(deps, shop, &typed(topic, parse("order")?)?).await?,
        "customers/create" => customer_created(deps, shop, typed(topic, parse("customer")?)?).await?,
        other => {
            tracing::info!(topic = other, "webhook topic ignored");
            json!({"ignored": other})
        }
    };
    json_response(200, &summary)
}

fn typed<T: serde::de::DeserializeOwned>(topic: &str, value: Value) -> Result<T, TallyError> {
    serde_json::from_value(value).map_err(|e| TallyError::invalid(format!("the {topic} body: {e}")))
}

/// Marks the rewards whose codes the order used `USED`; pays their reservations.
pub async fn order_created(deps: &Deps, shop: &Shop, order: &Order) -> Result<Value, TallyError> {
    let name = order.name.clone().unwrap_or_else(|| order.id.to_string());
    let mut used = 0;
    for reward in rewards_of(deps, shop, order).await? {
        if deps.store.use_reward(&shop.domain, &reward, order.id, &name).await? {
            used += 1;
            tracing::info!(reward_id = reward.id, order_id = order.id, "reward used");
        }
    }
    // A cancellation that arrived first found nothing to give back: do it now.
    let refunded = if deps.store.is_order_cancelled(&shop.domain, order.id).await? {
        refund_rewards(deps, shop, order, &name).await?
    } else {
        0
    };
    Ok(json!({"order": order.id, "rewardsUsed": used, "rewardsRefunded": refunded}))
}

/// Gives back, once, the points of the rewards the order used, if the shop says so.
pub async fn order_cancelled(deps: &Deps, shop: &Shop, order: &Order) -> Result<Value, TallyError> {
    let name = order.name.clone().unwrap_or_else(|| order.id.to_string());
    // Recorded first, so that an `orders/create` handled after this sees it.
    deps.store.mark_order_cancelled(&shop.domain, order.id).await?;
    let refunded = refund_rewards(deps, shop, order, &name).await?;
    Ok(json!({"order": order.id, "rewardsRefunded": refunded}))
}

async fn refund_rewards(deps: &Deps, shop: &Shop, order: &Order, name: &str) -> Result<usize, TallyError> {
    if !shop.settings.return_points_on_cancel {
        return Ok(0);
    }
    let mut refunded = 0;
    for reward in rewards_of(deps, shop, order).await? {
        let by_this_order = reward.status == RewardStatus::Used && reward.order_id == Some(order.id);
        if by_this_order && deps.store.refund_for_cancelled_order(&shop.domain, &reward, order.id, name).await? {
            refunded += 1;
            tracing::info!(reward_id = reward.id, order_id = order.id, "points returned for a cancelled order");
        }
    }
    Ok(refunded)
}

/// The shop's rewards among the order's discount codes; other codes are not Tally's.
async fn rewards_of(deps: &Deps, shop: &Shop, order: &Order) -> Result<Vec<crate::domain::reward::Reward>, TallyError> {
    let mut rewards = Vec::new();
    for used in &order.discount_codes {
        if let Some(owner) = deps.store.code_owner(&shop.domain, &used.code).await? {
            rewards.push(deps.store.reward(&shop.domain, owner.customer_id, owner.reward_id).await?);
        }
    }
    Ok(rewards)
}

async fn customer_created(deps: &Deps, shop: &Shop, customer: NewCustomer) -> Result<Value, TallyError> {
    if !shop.settings.auto_enroll {
        return Ok(json!({"enrolled": false, "reason": "autoEnroll is off"}));
    }
    let mut enrollment =
        Enrollment { customer_id: customer.id, email: customer.email.unwrap_or_default(), phone: None, vip_tier: None };
    if let Err(reason) = enrollment.check() {
        tracing::info!(customer_id = customer.id, %reason, "customer not enrolled");
        return Ok(json!({"enrolled": false, "reason": reason}));
    }
    match deps.store.enroll(&shop.domain, enrollment, None).await {
        Ok(_) => Ok(json!({"enrolled": true})),
        Err(TallyError::CustomerAlreadyEnrolled(_)) => Ok(json!({"enrolled": true, "already": true})),
        Err(TallyError::EmailInUse(_) | TallyError::CustomerExcluded) => Ok(json!({"enrolled": false})),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shops_secret_over_the_exact_body_verifies() {
        let body = br#"{"id": 1}"#;
        let signature = sign("secret", body);
        assert!(verify("secret", body, &signature));
        assert!(!verify("other secret", body, &signature));
        assert!(!verify("secret", br#"{"id": 2}"#, &signature));
        assert!(!verify("secret", body, "not base64!"));
        assert!(!verify("secret", body, ""));
    }
}
