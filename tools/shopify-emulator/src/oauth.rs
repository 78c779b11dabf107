//! `POST /shops/{domain}/admin/oauth/access_token`: the client credentials grant of a Dev Dashboard app.
//! Form-encoded `grant_type=client_credentials`, `client_id`, `client_secret`; answered with
//! `{"access_token", "scope", "expires_in"}`, as Shopify answers.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::Emulator;

/// The scopes the emulated app was granted.
const SCOPES: &str = "write_discounts,read_discounts,read_products,read_orders,write_store_credit_account_transactions";

pub async fn access_token(State(emulator): State<Arc<Emulator>>, Path(domain): Path<String>, body: Bytes) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let refused = |status: StatusCode, error: &str, description: &str| {
        (status, Json(json!({"error": error, "error_description": description}))).into_response()
    };
    if form.get("grant_type").map(String::as_str) != Some("client_credentials") {
        return refused(StatusCode::BAD_REQUEST, "unsupported_grant_type", "grant_type must be client_credentials");
    }
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get_mut(&domain.to_lowercase()) else {
        return refused(StatusCode::NOT_FOUND, "shop_not_found", "no such shop");
    };
    let matches = shop.client.as_ref().is_some_and(|client| {
        Some(&client.id) == form.get("client_id") && Some(&client.secret) == form.get("client_secret")
    });
    if !matches {
        return refused(StatusCode::BAD_REQUEST, "invalid_client", "Client authentication failed");
    }
    match shop.issue_token() {
        Some((token, expires_in)) => {
            Json(json!({"access_token": token, "scope": SCOPES, "expires_in": expires_in})).into_response()
        }
        None => refused(StatusCode::BAD_REQUEST, "invalid_client", "the app has no client credentials"),
    }
}
