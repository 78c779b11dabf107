//! Customer accounts and checkout, as far as Tally's UI extensions meet them: stand-in pages that load the
//! extensions' real bundles (`shopify/dist`, built by `shopify/scripts/build.mjs`) with the `shopify` global
//! they use (a session token signed with the shop's client secret, the extension's locale, its settings, the
//! customer metafield, the cart, `applyDiscountCodeChange`, `query` on the emulator's Storefront API) and minimal
//! Polaris web components (`assets/polaris.js`). The page's script runs the bundle in the page itself, not
//! in Shopify's sandboxed worker; its calls to Tally are cross-origin all the same.
//!
//! - `/shops/{d}/account?customer=ID`: the profile page with the profile block;
//! - `/shops/{d}/account/rewards?customer=ID`: the extension's full page;
//! - `/shops/{d}/account/orders/{order}?customer=ID`: the order-status page with its block;
//! - `/shops/{d}/checkout?customer=ID&subtotal=40.00`: checkout's reductions (Plus);
//! - `/shops/{d}/thank-you/{order}?customer=ID`: the thank-you page.
//!
//! Without `customer` the buyer is a guest. `locale=fr` picks the extension's French strings;
//! `network=off` takes away the `network_access` capability.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::Emulator;

/// The repository's extensions and their bundles.
const EXTENSIONS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shopify/extensions");
const DIST: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shopify/dist");
const POLARIS: &str = include_str!("../assets/polaris.js");
const HOST: &str = include_str!("../assets/host.js");

#[derive(serde::Deserialize, Default)]
pub struct PageQuery {
    customer: Option<u64>,
    locale: Option<String>,
    network: Option<String>,
    subtotal: Option<String>,
}

/// One stand-in page: which target of which extension.
struct Target {
    title: &'static str,
    handle: &'static str,
    module: &'static str,
    target: &'static str,
}

const PROFILE: Target = Target {
    title: "Profile",
    handle: "tally-account",
    module: "ProfileBlock",
    target: "customer-account.profile.block.render",
};
const REWARDS: Target = Target {
    title: "Rewards",
    handle: "tally-rewards-page",
    module: "RewardsPage",
    target: "customer-account.page.render",
};
const ORDER_STATUS: Target = Target {
    title: "Order",
    handle: "tally-account",
    module: "OrderBlock",
    target: "customer-account.order-status.block.render",
};
const REDUCTIONS: Target = Target {
    title: "Checkout",
    handle: "tally-checkout",
    module: "Reductions",
    target: "purchase.checkout.reductions.render-after",
};
const THANK_YOU: Target = Target {
    title: "Thank you",
    handle: "tally-checkout",
    module: "ThankYou",
    target: "purchase.thank-you.block.render",
};

pub async fn account(emulator: State<Arc<Emulator>>, Path(domain): Path<String>, query: Query<PageQuery>) -> Response {
    host(emulator, domain, query, PROFILE, None)
}

pub async fn rewards(emulator: State<Arc<Emulator>>, Path(domain): Path<String>, query: Query<PageQuery>) -> Response {
    host(emulator, domain, query, REWARDS, None)
}

pub async fn order_status(
    emulator: State<Arc<Emulator>>,
    Path((domain, order)): Path<(String, u64)>,
    query: Query<PageQuery>,
) -> Response {
    host(emulator, domain, query, ORDER_STATUS, Some(order))
}

pub async fn checkout(emulator: State<Arc<Emulator>>, Path(domain): Path<String>, query: Query<PageQuery>) -> Response {
    host(emulator, domain, query, REDUCTIONS, None)
}

pub async fn thank_you(
    emulator: State<Arc<Emulator>>,
    Path((domain, order)): Path<(String, u64)>,
    query: Query<PageQuery>,
) -> Response {
    host(emulator, domain, query, THANK_YOU, Some(order))
}

/// `POST /shops/{d}/checkout/discount-codes`: what `applyDiscountCodeChange` does to the checkout, kept in the
/// shop's state (`appliedCodes`).
pub async fn apply_code(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Json(change): Json<Value>,
) -> Response {
    let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get_mut(&domain.to_lowercase()) else {
        return (StatusCode::NOT_FOUND, "unknown shop").into_response();
    };
    let code = change["code"].as_str().unwrap_or_default().to_string();
    let known = shop.discounts.iter().any(|d| d.code.eq_ignore_ascii_case(&code));
    match (change["type"].as_str(), known) {
        (Some("addDiscountCode"), true) => {
            if !shop.applied_codes.contains(&code) {
                shop.applied_codes.push(code);
            }
            Json(json!({"type": "success"})).into_response()
        }
        (Some("removeDiscountCode"), _) => {
            shop.applied_codes.retain(|c| !c.eq_ignore_ascii_case(&code));
            Json(json!({"type": "success"})).into_response()
        }
        _ => Json(json!({"type": "error", "message": "Enter a valid discount code"})).into_response(),
    }
}

#[derive(serde::Deserialize)]
pub struct TokenQuery {
    customer: Option<u64>,
}

/// `GET /shops/{d}/session-token?customer=ID`: what `shopify.sessionToken.get()` gives the stand-ins' extensions:
/// a token for the shop's app, naming the customer (none for a guest).
pub async fn token(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Query(query): Query<TokenQuery>,
) -> Response {
    let domain = domain.to_lowercase();
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(client) = state.shops.get(&domain).and_then(|s| s.client.as_ref()) else {
        return (StatusCode::NOT_FOUND, "no app for this shop").into_response();
    };
    let customer = query.customer.map(|id| format!("gid://shopify/Customer/{id}"));
    Json(json!({"token": session_token(&domain, &client.id, &client.secret, customer.as_deref())})).into_response()
}

/// `GET /cdn/ui-extensions/{handle}/{file}`: a bundle of `shopify/dist`.
pub async fn bundle(Path((handle, file)): Path<(String, String)>) -> Response {
    let safe = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    if !safe(&handle) || !safe(&file) || file.starts_with('.') {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(format!("{DIST}/{handle}/{file}")) {
        Ok(bytes) => ([(header::CONTENT_TYPE, "text/javascript")], bytes).into_response(),
        Err(_) => (StatusCode::NOT_FOUND, "not built: run `node shopify/scripts/build.mjs`").into_response(),
    }
}

/// `GET /__emulator/ui/{file}`: the stand-in's own scripts.
pub async fn host_script(Path(file): Path<String>) -> Response {
    let body = match file.as_str() {
        "polaris.js" => POLARIS,
        "host.js" => HOST,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    ([(header::CONTENT_TYPE, "text/javascript")], body).into_response()
}

fn host(
    State(emulator): State<Arc<Emulator>>,
    domain: String,
    Query(query): Query<PageQuery>,
    page: Target,
    order: Option<u64>,
) -> Response {
    let domain = domain.to_lowercase();
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get(&domain) else { return (StatusCode::NOT_FOUND, "unknown shop").into_response() };
    let (Some(_), Some(proxy)) = (&shop.client, &shop.app_proxy) else {
        return (StatusCode::BAD_REQUEST, "the shop needs a client (id and secret) and an App Proxy URL")
            .into_response();
    };
    let locale = query.locale.as_deref().filter(|l| l.chars().all(|c| c.is_ascii_alphabetic() || c == '-'));
    let locale = locale.unwrap_or("en");
    let customer = query.customer.map(|id| format!("gid://shopify/Customer/{id}"));
    let metafields: Vec<Value> = shop
        .metafields
        .iter()
        .filter(|m| Some(&m.owner_id) == customer.as_ref() && m.key == "loyalty")
        .map(|m| {
            json!({"target": {"type": "customer", "id": m.owner_id},
            "metafield": {"namespace": m.namespace, "key": m.key, "value": m.value, "type": m.kind}})
        })
        .collect();
    let order_gid = order.map(|id| json!({"id": format!("gid://shopify/Order/{id}")}));
    let codes: Vec<Value> = order
        .and_then(|id| shop.orders.get(&id))
        .map(|o| o.codes.iter().map(|c| json!({"code": c})).collect())
        .unwrap_or_else(|| shop.applied_codes.iter().map(|c| json!({"code": c})).collect());
    // What the extension's toml grants, less `network_access` with `network=off`.
    let capabilities: Vec<&str> = capabilities(page.handle)
        .into_iter()
        .filter(|c| *c != "network_access" || query.network.as_deref() != Some("off"))
        .collect();
    let config = json!({
        "target": page.target,
        "module": format!("/cdn/ui-extensions/{}/{}.js", page.handle, page.module),
        "fullPage": format!("/shops/{domain}/account/rewards{}", query.customer.map(|c| format!("?customer={c}")).unwrap_or_default()),
        "tokenUrl": format!("/shops/{domain}/session-token{}", query.customer.map(|c| format!("?customer={c}")).unwrap_or_default()),
        "locale": locale,
        "translations": translations(page.handle, locale),
        "settings": {"api_url": proxy.url.trim_end_matches("/loyalty/cp")},
        "customer": customer,
        "capabilities": capabilities,
        "metafields": metafields,
        "storefrontApi": format!("/shops/{domain}/api/2026-10/graphql.json"),
        "order": order_gid,
        "discountCodes": codes,
        "subtotal": query.subtotal.unwrap_or_else(|| "40.00".into()),
        "currency": "USD",
        "applyUrl": format!("/shops/{domain}/checkout/discount-codes"),
    });
    let who = match query.customer {
        Some(id) => format!("Customer {id}"),
        None => "Guest".into(),
    };
    let config = config.to_string().replace("</", "<\\/");
    let title = page.title;
    let html = format!(
        r#"<!doctype html>
<html lang="{locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – {domain}</title>
</head>
<body>
<header class="host-header"><strong>{domain}</strong><span>{title}</span><span>{who}</span></header>
<main class="host-main" data-target="{target}"></main>
<footer class="host-footer">A stand-in served by the Shopify emulator · target {target}</footer>
<script type="application/json" id="host-config">{config}</script>
<script type="module" src="/__emulator/ui/host.js"></script>
</body>
</html>"#,
        target = page.target,
    );
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// The capabilities an extension's toml grants (`network_access = true`, `api_access = true`).
fn capabilities(handle: &str) -> Vec<&'static str> {
    let toml = std::fs::read_to_string(format!("{EXTENSIONS}/{handle}/shopify.extension.toml")).unwrap_or_default();
    ["network_access", "api_access"].into_iter().filter(|c| toml.contains(&format!("{c} = true"))).collect()
}

/// The extension's strings in `locale`, or its default locale's.
fn translations(handle: &str, locale: &str) -> Value {
    let read = |name: &str| std::fs::read_to_string(format!("{EXTENSIONS}/{handle}/locales/{name}.json")).ok();
    let text = read(locale).or_else(|| read(&format!("{locale}.default"))).or_else(|| read("en.default"));
    text.and_then(|t| serde_json::from_str(&t).ok()).unwrap_or(Value::Null)
}

/// A session token as Shopify gives an extension: HS256 with the app's client secret, for five minutes.
fn session_token(domain: &str, client_id: &str, secret: &str, customer: Option<&str>) -> String {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let mut claims = json!({"iss": format!("https://{domain}/admin"), "dest": format!("https://{domain}"),
        "aud": client_id, "exp": now + 300, "nbf": now, "iat": now, "jti": format!("{now}-{}", rand_suffix()),
        "sid": "stand-in"});
    if let Some(customer) = customer {
        claims["sub"] = json!(customer);
    }
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

fn rand_suffix() -> u64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    u64::from_le_bytes(bytes)
}
