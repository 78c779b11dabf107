//! The online store, as far as Tally's widget meets it: a theme page with the app block of the theme app
//! extension in `shopify/extensions/loyalty/`, rendered by a real Liquid implementation from the files in
//! the repository (edit them and reload) in the language `?locale=` asks for, in a theme with or without a
//! colour scheme (`?scheme=`), the extension's assets, a login page, the Storefront API as far as the widget
//! asks it (its variants' names), and the App Proxy, which forwards `/shops/{domain}/apps/tally/*` to the
//! app's proxy URL with the query signed as Shopify signs it.
//!
//! Who is logged in is the storefront's business: `?customer=ID` logs that customer in (a cookie, as
//! Shopify's session is), the storefront without it logs out. The proxy reads the cookie, strips it, and
//! names the customer in `logged_in_customer_id`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::liquid_filters::{render_block, Translations, EXTENSION};
use crate::Emulator;

/// Where the proxy is reached on the storefront: `prefix = "apps"`, `subpath = "tally"` in shopify.app.toml.
pub const PATH_PREFIX: &str = "/apps/tally";
const SESSION_COOKIE: &str = "storefront_customer";
/// The parameters the App Proxy sets; a shopper's own of these names are dropped, as Shopify drops them.
const PROXY_PARAMETERS: [&str; 5] = ["shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"];

/// Headers the proxy does not pass on: cookies (Shopify strips them both ways) and those of the connection.
const DROPPED_HEADERS: [header::HeaderName; 7] = [
    header::COOKIE,
    header::SET_COOKIE,
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::ACCEPT_ENCODING,
];

/// Where a shop's App Proxy forwards, and the client secret that signs it.
#[derive(Debug, Clone)]
pub struct AppProxy {
    pub url: String,
    pub secret: String,
}

#[derive(serde::Deserialize)]
pub struct StorefrontQuery {
    customer: Option<String>,
    /// The shopper's language (`fr`): the extension's `locales/{locale}.json`, English without it.
    locale: Option<String>,
    /// `light` or `dark`: the theme declares a colour scheme as Dawn does (CSS variables); without it, none.
    scheme: Option<String>,
    /// `off`: the page without the app block, to measure what the widget costs it.
    widget: Option<String>,
}

/// Dawn's colour scheme variables, light (its first scheme) and dark (its dark scheme).
const LIGHT_SCHEME: &str = "html { --color-foreground: 18, 18, 18; --color-background: 255, 255, 255; \
    --color-button: 18, 18, 18; --color-button-text: 255, 255, 255; }";
const DARK_SCHEME: &str = "html { color-scheme: dark; --color-foreground: 255, 255, 255; \
    --color-background: 36, 40, 51; --color-button: 255, 255, 255; --color-button-text: 0, 0, 0; }";

/// `GET /shops/{domain}/storefront?customer={id}&locale={language}&scheme={light|dark}`: the theme page with
/// the widget, for that customer logged in (logged out without `customer`), in that language (`&widget=off`
/// leaves the widget out).
pub async fn page(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Query(query): Query<StorefrontQuery>,
) -> Response {
    let domain = domain.to_lowercase();
    if !emulator.state.lock().unwrap_or_else(|e| e.into_inner()).shops.contains_key(&domain) {
        return (StatusCode::NOT_FOUND, "unknown shop").into_response();
    }
    let customer = match query.customer.as_deref().filter(|c| !c.is_empty()).map(str::parse::<u64>) {
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => return (StatusCode::BAD_REQUEST, "customer must be a customer id").into_response(),
        None => None,
    };
    let scheme = match query.scheme.as_deref().unwrap_or_default() {
        "" => "",
        "light" => LIGHT_SCHEME,
        "dark" => DARK_SCHEME,
        _ => return (StatusCode::BAD_REQUEST, "scheme is light or dark").into_response(),
    };
    let liquid_customer = customer.map(|id| liquid_customer(&emulator, &domain, id));
    let rendered = Translations::load(query.locale.as_deref().unwrap_or("en"))
        .and_then(|translations| render_block(&domain, liquid_customer, translations));
    let (block, lang) = match rendered {
        Ok((_, lang)) if query.widget.as_deref() == Some("off") => (String::new(), lang),
        Ok(rendered) => rendered,
        Err(e) => {
            return (StatusCode::INTERNAL_SERVER_ERROR, format!("the app block does not render: {e}")).into_response()
        }
    };
    let account = match customer {
        Some(id) => format!(r#"Customer {id} · <a href="/shops/{domain}/storefront">Log out</a>"#),
        None => format!(r#"<a href="/shops/{domain}/account/login">Log in</a>"#),
    };
    let html = format!(
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rewards – {domain}</title>
<style>
  {scheme}
  /* As themes do: the scrollbar's room kept, so the page does not move sideways when it grows past the window
     while it is still arriving (that shift is the theme's, not the widget's). */
  html {{ scrollbar-gutter: stable; }}
  body {{ margin: 0; font: 16px/1.5 system-ui, sans-serif; color: rgb(var(--color-foreground, 31, 41, 55));
    background: rgb(var(--color-background, 250, 250, 250)); }}
  header, footer {{ display: flex; justify-content: space-between; padding: 1rem 2rem;
    background: rgba(var(--color-foreground, 31, 41, 55), .04);
    border-bottom: 1px solid rgba(var(--color-foreground, 31, 41, 55), .12); }}
  footer {{ border: 0; border-top: 1px solid rgba(var(--color-foreground, 31, 41, 55), .12); font-size: .875rem; }}
  main {{ max-width: 48rem; margin: 0 auto; padding: 1rem 2rem 3rem; }}
  a {{ color: inherit; }}
</style>
</head>
<body>
<header><strong>{domain}</strong><span>{account}</span></header>
<main>
<h1>Rewards</h1>
<p>Earn points with every order and turn them into discounts.</p>
{block}
<p>Questions about your points? Contact the store.</p>
</main>
<footer><span>A storefront served by the Shopify emulator</span><span>Theme app extension: Tally loyalty</span></footer>
</body>
</html>"#
    );
    let path = format!("/shops/{domain}/");
    let cookie = match customer {
        Some(id) => format!("{SESSION_COOKIE}={id}; Path={path}; HttpOnly; SameSite=Lax"),
        None => format!("{SESSION_COOKIE}=; Path={path}; Max-Age=0; HttpOnly; SameSite=Lax"),
    };
    ([(header::SET_COOKIE, cookie), (header::CACHE_CONTROL, "no-store".into())], Html(html)).into_response()
}

/// `GET /cdn/extensions/loyalty/assets/{file}`: the extension's JS and CSS, as the CDN serves them.
pub async fn asset(Path(file): Path<String>) -> Response {
    let kind = match file.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if !file.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.') {
        return StatusCode::NOT_FOUND.into_response();
    }
    match std::fs::read(format!("{EXTENSION}/assets/{file}")) {
        Ok(bytes) => ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], bytes).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

/// `GET /shops/{domain}/account/login`: who to be, for a storefront with no real accounts.
pub async fn login(State(emulator): State<Arc<Emulator>>, Path(domain): Path<String>) -> Response {
    let Some(domain) = known(&emulator, &domain) else { return StatusCode::NOT_FOUND.into_response() };
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Log in</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; margin: 2rem"><h1>Log in</h1>
<form action="/shops/{domain}/storefront" method="get"><label>Customer id <input name="customer" inputmode="numeric" required></label>
<button>Log in</button></form></body></html>"#
    ))
    .into_response()
}

/// The shop's domain, if the emulator knows it (and so it is safe to write into a page).
fn known(emulator: &Emulator, domain: &str) -> Option<String> {
    let domain = domain.to_lowercase();
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    state.shops.contains_key(&domain).then_some(domain)
}

/// `GET /shops/{domain}/discount/{code}`: Shopify keeps the code for checkout; the emulator says so.
pub async fn discount(State(emulator): State<Arc<Emulator>>, Path((domain, code)): Path<(String, String)>) -> Response {
    let Some(domain) = known(&emulator, &domain) else { return StatusCode::NOT_FOUND.into_response() };
    let code: String = code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    Html(format!(
        r#"<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Discount</title></head>
<body style="font: 16px/1.5 system-ui, sans-serif; margin: 2rem"><p>The discount code <strong>{code}</strong> will be
applied at checkout.</p><p><a href="/shops/{domain}/storefront">Back to the store</a></p></body></html>"#
    ))
    .into_response()
}

/// The `customer` Liquid sees: its id, and the app's metafields on it (`customer.metafields['$app:tally']
/// .loyalty.value`, JSON ones parsed), as `metafieldsSet` left them.
fn liquid_customer(emulator: &Emulator, domain: &str, id: u64) -> Value {
    let owner = format!("gid://shopify/Customer/{id}");
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let mut metafields = serde_json::Map::new();
    let Some(shop) = state.shops.get(domain) else { return json!({"id": id}) };
    for field in shop.metafields.iter().filter(|m| m.owner_id == owner) {
        let value = match field.kind.as_str() {
            "json" => serde_json::from_str(&field.value).unwrap_or(Value::Null),
            _ => Value::String(field.value.clone()),
        };
        // The app's own namespaces (`app--{client id}--tally`) are read by its extension as `$app:tally`.
        let namespace = metafields.entry(shop.reserved_form(&field.namespace)).or_insert_with(|| json!({}));
        namespace[&field.key] = json!({"value": value, "type": field.kind});
    }
    json!({"id": id, "metafields": metafields})
}

/// `POST /shops/{domain}/api/{version}/graphql.json`: the Storefront API, tokenless as a theme's script calls
/// it, as far as the widget asks it: `nodes(ids: $ids)` of product variants, with their title and their
/// product's (`@inContext` is taken, and the names are the ones registered). An id the shop lacks is null.
pub async fn storefront_api(
    State(emulator): State<Arc<Emulator>>,
    Path((domain, _version)): Path<(String, String)>,
    axum::Json(request): axum::Json<Value>,
) -> Response {
    let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
    let Some(shop) = state.shops.get(&domain.to_lowercase()) else { return StatusCode::NOT_FOUND.into_response() };
    let (query, ids) = (request["query"].as_str().unwrap_or_default(), request["variables"]["ids"].as_array());
    let Some(ids) = ids.filter(|_| query.contains("nodes(ids: $ids)")) else {
        let message = "the emulator's Storefront API answers nodes(ids: $ids) with the ids in variables only";
        return axum::Json(json!({"errors": [{"message": message}]})).into_response();
    };
    let variant = |id: &Value| {
        let id = id.as_str()?.strip_prefix("gid://shopify/ProductVariant/")?.parse().ok()?;
        shop.variant_node(id)
    };
    let nodes: Vec<Value> = ids.iter().map(|id| variant(id).unwrap_or(Value::Null)).collect();
    axum::Json(json!({"data": {"nodes": nodes}})).into_response()
}

/// `/shops/{domain}/apps/tally/{*path}`: the App Proxy. The request goes to `{proxy url}/{path}` with the
/// shopper's query, Shopify's parameters and their signature; its method, body and headers are kept,
/// cookies are not (in either direction).
pub async fn proxy(
    State(emulator): State<Arc<Emulator>>,
    Path((domain, path)): Path<(String, String)>,
    method: Method,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let domain = domain.to_lowercase();
    let target = {
        let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
        state.shops.get(&domain).and_then(|shop| shop.app_proxy.clone())
    };
    let Some(target) = target else {
        return (StatusCode::NOT_FOUND, "this shop has no app proxy at /apps/tally").into_response();
    };
    let customer = logged_in(&headers).map(|id| id.to_string()).unwrap_or_default();
    let timestamp = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default().as_secs().to_string();
    let mut params: Vec<(String, String)> = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .filter(|(name, _)| !PROXY_PARAMETERS.contains(&name.as_str()))
        .collect();
    params.extend([
        ("shop".to_string(), domain.clone()),
        ("logged_in_customer_id".to_string(), customer),
        ("path_prefix".to_string(), PATH_PREFIX.to_string()),
        ("timestamp".to_string(), timestamp),
    ]);
    let signature = sign(&target.secret, &params);
    params.push(("signature".to_string(), signature));
    let query = form_urlencoded::Serializer::new(String::new()).extend_pairs(&params).finish();
    // The path as the shopper sent it, each segment encoded again: an encoded `/` or `?` stays in its segment.
    let path: Vec<String> = path
        .split('/')
        .map(|segment| form_urlencoded::byte_serialize(segment.as_bytes()).collect::<String>().replace('+', "%20"))
        .collect();
    let url = format!("{}/{}?{query}", target.url.trim_end_matches('/'), path.join("/"));
    let mut request = emulator.http.request(method, url).timeout(Duration::from_secs(20)).body(body);
    for (name, value) in headers.iter().filter(|(name, _)| !DROPPED_HEADERS.contains(name)) {
        request = request.header(name, value);
    }
    match request.send().await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let kept: Vec<(header::HeaderName, header::HeaderValue)> = answer
                .headers()
                .iter()
                .filter(|(name, _)| !DROPPED_HEADERS.contains(name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect();
            let body = answer.bytes().await.unwrap_or_default();
            let mut response = (status, body).into_response();
            response.headers_mut().extend(kept);
            response
        }
        Err(e) => {
            (StatusCode::BAD_GATEWAY, format!("the app proxy could not reach {}: {e}", target.url)).into_response()
        }
    }
}

/// The customer the storefront's session cookie names.
fn logged_in(headers: &HeaderMap) -> Option<u64> {
    let cookies: HashMap<&str, &str> = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .collect();
    cookies.get(SESSION_COOKIE).and_then(|id| id.parse().ok())
}

/// Shopify's App Proxy signature, as its documentation gives it: every parameter but `signature`, sorted by
/// name, written `name=value` with a repeated name's values joined by commas, concatenated, then the hex
/// HMAC-SHA256 keyed with the app's client secret.
pub fn sign(secret: &str, params: &[(String, String)]) -> String {
    let mut joined: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    for (name, value) in params.iter().filter(|(name, _)| name != "signature") {
        joined.entry(name).or_default().push(value);
    }
    let message: String = joined.iter().map(|(name, values)| format!("{name}={}", values.join(","))).collect();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(message.as_bytes());
    mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_shopify_s_documented_example() {
        let params: Vec<(String, String)> = [
            ("extra", "1"),
            ("extra", "2"),
            ("shop", "shop-name.myshopify.com"),
            ("logged_in_customer_id", "1"),
            ("path_prefix", "/apps/awesome_reviews"),
            ("timestamp", "1317327555"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(sign("hush", &params), "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb");
    }

    #[tokio::test]
    async fn the_storefront_api_names_the_shop_s_variants() {
        let emulator = Emulator::new();
        {
            let mut state = emulator.state.lock().unwrap();
            let mut shop = crate::state::ShopState::new(Some("token".into()), None);
            shop.variants.insert(40001, "24.00".parse().unwrap());
            shop.variants.insert(40002, "32.00".parse().unwrap());
            let names = crate::state::VariantNames { product_title: Some("Mug".into()), title: Some("Blue".into()) };
            shop.variant_names.insert(40001, names);
            state.shops.insert("demo.myshopify.com".into(), shop);
        }
        let ids = [
            "gid://shopify/ProductVariant/40001",
            "gid://shopify/ProductVariant/40002",
            "gid://shopify/ProductVariant/9",
        ];
        let request =
            json!({"query": "query Names($ids: [ID!]!) { nodes(ids: $ids) { id } }", "variables": {"ids": ids}});
        let path = Path(("demo.myshopify.com".to_string(), "2026-10".to_string()));
        let answer = storefront_api(State(emulator), path, axum::Json(request)).await;
        let body = axum::body::to_bytes(answer.into_body(), 1 << 16).await.unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["data"]["nodes"],
            json!([
                {"id": ids[0], "title": "Blue", "product": {"title": "Mug"}},
                {"id": ids[1], "title": "Default Title", "product": {"title": "Product 40002"}},
                null
            ])
        );
    }
}
