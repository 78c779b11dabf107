//! The control API: register shops and variants, read a shop's state, set faults.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::faults::FaultRequest;
use crate::state::ShopState;
use crate::Emulator;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewShop {
    domain: String,
    access_token: String,
    /// Where order webhooks go, signed with `clientSecret`.
    #[serde(default)]
    webhook_url: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

#[derive(Deserialize)]
pub struct NewVariant {
    id: u64,
    price: Value,
}

fn bad_request(message: impl Into<String>) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": message.into()}))).into_response()
}

pub async fn register_shop(State(emulator): State<Arc<Emulator>>, Json(shop): Json<NewShop>) -> Response {
    if shop.domain.is_empty() || shop.access_token.is_empty() {
        return bad_request("domain and accessToken are required");
    }
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut registered = ShopState::new(shop.access_token);
    registered.webhooks = match (shop.webhook_url, shop.client_secret) {
        (Some(url), Some(secret)) => Some(crate::orders::WebhookTarget { url, secret }),
        (None, None) => None,
        _ => return bad_request("webhookUrl and clientSecret go together"),
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
    (StatusCode::CREATED, Json(json!({"id": variant.id, "price": price.to_string()}))).into_response()
}

pub async fn shop_state(State(emulator): State<Arc<Emulator>>, Path(domain): Path<String>) -> Response {
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    match state.shops.get(&domain.to_lowercase()) {
        Some(shop) => Json(shop.to_json()).into_response(),
        None => (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response(),
    }
}

pub async fn set_faults(State(emulator): State<Arc<Emulator>>, Json(request): Json<FaultRequest>) -> Response {
    let mut faults = emulator.faults.lock().unwrap_or_else(|e| e.into_inner());
    match faults.set(request) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => bad_request(message),
    }
}

pub async fn clear_faults(State(emulator): State<Arc<Emulator>>) -> StatusCode {
    emulator.faults.lock().unwrap_or_else(|e| e.into_inner()).clear();
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
