//! Webhook deliveries as Shopify makes them: to every subscription of the topic (or the shop's webhook
//! URL), signed with the app's client secret, with Shopify's headers.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::state::ShopState;
use crate::{Emulator, API_VERSION};

/// Where a shop's deliveries go and how they are signed, read at the moment an event happens.
pub struct Target {
    /// Each topic's URLs: its subscriptions, or the shop's webhook URL.
    urls: std::collections::HashMap<&'static str, Vec<String>>,
    secret: Option<String>,
}

impl Target {
    pub fn of(shop: &ShopState) -> Target {
        let topics = ["orders/create", "orders/cancelled", "refunds/create", "customers/create", "app/uninstalled"];
        Target { urls: topics.into_iter().map(|t| (t, shop.delivery_urls(t))).collect(), secret: shop.signing_secret() }
    }
}

/// Delivers `copies` copies of one webhook at once to every URL of its topic; returns each delivery's id and
/// the status it got. `distinct` gives each copy its own webhook id, as separate subscriptions would.
pub async fn deliver(
    emulator: &Emulator,
    domain: &str,
    target: &Target,
    topic: &str,
    body: &Value,
    (copies, distinct): (usize, bool),
) -> Vec<Value> {
    let (Some(urls), Some(secret)) = (target.urls.get(topic), &target.secret) else { return Vec::new() };
    let body = body.to_string();
    let signature = sign(secret, body.as_bytes());
    let event_id = emulator.next_delivery_id();
    // When the event happened: now, as Shopify stamps it.
    let rfc3339 = &time::format_description::well_known::Rfc3339;
    let triggered_at = time::OffsetDateTime::now_utc().format(rfc3339).unwrap_or_default();
    let triggered_at = &triggered_at;
    let sends = urls.iter().flat_map(|url| (0..copies.max(1)).map(move |_| url)).map(|url| {
        let webhook_id = if distinct { emulator.next_delivery_id() } else { event_id.clone() };
        let request = emulator
            .http
            .post(url)
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Hmac-Sha256", &signature)
            .header("X-Shopify-Shop-Domain", domain)
            .header("X-Shopify-API-Version", API_VERSION)
            .header("X-Shopify-Webhook-Id", &webhook_id)
            .header("X-Shopify-Event-Id", &event_id)
            .header("X-Shopify-Triggered-At", triggered_at.as_str())
            .body(body.clone());
        async move {
            let status = match request.send().await {
                Ok(response) => json!(response.status().as_u16()),
                Err(e) => json!(format!("not delivered: {e}")),
            };
            json!({"topic": topic, "webhookId": webhook_id, "status": status})
        }
    });
    futures::future::join_all(sends).await
}

/// Base64 of HMAC-SHA256 over the body with the app's client secret, as Shopify signs webhooks.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}
