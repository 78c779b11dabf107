//! The control API: register shops and variants, read a shop's state, set faults.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::{FaultRequest, Target};
use crate::state::ShopState;
use crate::Emulator;

/// `POST /__emulator/shops`: a shop with a legacy static token (`accessToken`), or a Dev Dashboard app
/// (`clientId`, `clientSecret`, `tokenTtlSeconds`), or both.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewShop {
    domain: String,
    #[serde(default)]
    access_token: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    /// Signs webhooks, and with `clientId` obtains tokens.
    #[serde(default)]
    client_secret: Option<String>,
    /// How long a client credentials token lasts (Shopify's 86399 s by default).
    #[serde(default)]
    token_ttl_seconds: Option<u64>,
    /// Where webhooks go when no subscription is registered for their topic.
    #[serde(default)]
    webhook_url: Option<String>,
    /// The app proxy's URL (`[app_proxy] url` of shopify.app.toml): where the storefront's `/apps/tally`
    /// goes, signed with the client secret.
    #[serde(default)]
    app_proxy_url: Option<String>,
}

/// `POST /__emulator/shops/{domain}/variants {"id", "price"}`, with the names the storefront shows for it
/// if wanted (`"productTitle": "Mug", "title": "Blue"`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewVariant {
    id: u64,
    price: Value,
    #[serde(default)]
    product_title: Option<String>,
    #[serde(default)]
    title: Option<String>,
}

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.into()}))).into_response()
}

pub async fn register_shop(State(emulator): State<Arc<Emulator>>, Json(shop): Json<NewShop>) -> Response {
    let token = shop.access_token.filter(|t| !t.is_empty());
    let client = match (shop.client_id, &shop.client_secret) {
        (Some(id), Some(secret)) => {
            let ttl = std::time::Duration::from_secs(shop.token_ttl_seconds.unwrap_or(86399));
            Some(crate::state::Client { id, secret: secret.clone(), token_ttl: ttl })
        }
        (Some(_), None) => return bad_request("clientId needs clientSecret"),
        (None, _) => None,
    };
    if shop.domain.is_empty() || (token.is_none() && client.is_none()) {
        return bad_request("domain, and accessToken or clientId and clientSecret, are required");
    }
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut registered = ShopState::new(token, client);
    registered.app_proxy = match (shop.app_proxy_url, &shop.client_secret) {
        (Some(url), Some(secret)) => Some(crate::storefront::AppProxy { url, secret: secret.clone() }),
        (None, _) => None,
        (Some(_), None) => return bad_request("appProxyUrl needs clientSecret, which signs the proxy's requests"),
    };
    registered.webhooks = match (shop.webhook_url, shop.client_secret) {
        (Some(url), Some(secret)) => Some(crate::state::WebhookTarget { url, secret }),
        (None, _) => None,
        (Some(_), None) => return bad_request("webhookUrl needs clientSecret, which signs the webhooks"),
    };
    state.shops.insert(shop.domain.to_lowercase(), registered);
    (StatusCode::CREATED, Json(json!({"domain": shop.domain}))).into_response()
}

pub async fn add_variant(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Json(variant): Json<NewVariant>,
) -> Response {
    let price: Option<Decimal> = match &variant.price {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.to_string().parse().ok(),
        _ => None,
    };
    let Some(price) = price.filter(|p| !p.is_sign_negative()) else {
        return bad_request("price must be a non-negative decimal");
    };
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get_mut(&domain.to_lowercase()) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response();
    };
    shop.variants.insert(variant.id, price);
    let names = crate::state::VariantNames { product_title: variant.product_title, title: variant.title };
    let answer = json!({"id": variant.id, "price": price.to_string(), "productTitle": names.product_title,
        "title": names.title});
    shop.variant_names.insert(variant.id, names);
    (StatusCode::CREATED, Json(answer)).into_response()
}

pub async fn shop_state(State(emulator): State<Arc<Emulator>>, Path(domain): Path<String>) -> Response {
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    match state.shops.get(&domain.to_lowercase()) {
        Some(shop) => Json(shop.to_json()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response(),
    }
}

pub async fn set_faults(State(emulator): State<Arc<Emulator>>, Json(request): Json<FaultRequest>) -> Response {
    let faults = match request.target {
        Target::Shopify => &emulator.faults,
        Target::Klaviyo => &emulator.klaviyo_faults,
        Target::Eventbridge => &emulator.eventbridge_faults,
    };
    let mut faults = faults.lock().unwrap_or_else(|e| e.into_inner());
    match faults.set(request) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => bad_request(message),
    }
}

pub async fn clear_faults(State(emulator): State<Arc<Emulator>>) -> StatusCode {
    for faults in [&emulator.faults, &emulator.klaviyo_faults, &emulator.eventbridge_faults] {
        faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
    StatusCode::NO_CONTENT
}

/// `POST /__emulator/shops/{domain}/settings {"usageLagMs"}`: how Shopify behaves for this shop.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ShopBehaviour {
    /// How long after an order Shopify's `asyncUsageCount` counts its use.
    usage_lag_ms: u64,
}

pub async fn set_behaviour(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Json(behaviour): Json<ShopBehaviour>,
) -> Response {
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get_mut(&domain.to_lowercase()) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response();
    };
    shop.usage_lag = std::time::Duration::from_millis(behaviour.usage_lag_ms);
    for discount in &mut shop.discounts {
        discount.usage_lag = shop.usage_lag;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /__emulator/shops/{domain}/revoke-tokens`: every token the client credentials grant issued stops
/// working now, as when a merchant rotates the app's secret.
pub async fn revoke_tokens(State(emulator): State<Arc<Emulator>>, Path(domain): Path<String>) -> Response {
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    match state.shops.get_mut(&domain.to_lowercase()) {
        Some(shop) => {
            let revoked = shop.issued.len();
            shop.issued.clear();
            Json(json!({"revoked": revoked})).into_response()
        }
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response(),
    }
}
