//! A Shopify Admin API emulator for local development and tests.
//!
//! It serves `POST /shops/{domain}/admin/api/{version}/graphql.json`, validates every document and its
//! variables against the vendored 2026-10 schema (as Shopify would: errors in `errors[]`), executes the
//! operations Tally uses against an in-memory state per shop, and fails on command. Its control API,
//! under `/__emulator`, registers shops and variants, shows the state and sets faults. It also serves a
//! storefront with Tally's widget and the App Proxy behind it (`storefront`), customer accounts' and
//! checkout's pages with Tally's UI extensions (`extensions`), and stands in for the events'
//! other destinations (`outlets`): EventBridge's `PutEvents` (at `/`, as the AWS SDK calls it) and
//! Klaviyo's Create Event (`/api/events`).

mod control;
mod execute;
mod extensions;
mod faults;
mod liquid_filters;
mod metafields;
mod oauth;
mod orders;
mod outlets;
mod resolvers;
mod state;
mod storefront;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};

use apollo_compiler::validation::Valid;
use apollo_compiler::Schema;
use axum::routing::{any, delete, get, post};
use axum::Router;

pub use faults::FaultMode;

/// The API version the emulator serves (the one whose schema is vendored).
pub const API_VERSION: &str = "2026-10";

pub const SCHEMA_SDL: &str = include_str!("../../../vendor/shopify/admin-2026-10.graphql");

/// The emulator's whole state, shared by every request.
pub struct Emulator {
    schema: &'static Valid<Schema>,
    state: Mutex<state::State>,
    faults: Mutex<faults::Faults>,
    /// Faults of the Klaviyo and EventBridge stand-ins (`"target"` of `POST /__emulator/faults`).
    klaviyo_faults: Mutex<faults::Faults>,
    eventbridge_faults: Mutex<faults::Faults>,
    /// What the Klaviyo and EventBridge stand-ins received.
    outlets: Mutex<outlets::Received>,
    /// Delivers webhooks.
    http: reqwest::Client,
    deliveries: std::sync::atomic::AtomicU64,
}

impl Emulator {
    pub fn new() -> Arc<Emulator> {
        Arc::new(Emulator {
            schema: load_schema(),
            state: Mutex::new(state::State::default()),
            faults: Mutex::new(faults::Faults::default()),
            klaviyo_faults: Mutex::new(faults::Faults::default()),
            eventbridge_faults: Mutex::new(faults::Faults::default()),
            outlets: Mutex::new(outlets::Received::default()),
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
            deliveries: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn router(self: &Arc<Self>) -> Router {
        Router::new()
            .route("/shops/{domain}/admin/api/{version}/graphql.json", post(execute::graphql))
            .route("/shops/{domain}/admin/oauth/access_token", post(oauth::access_token))
            .route("/__emulator/shops/{domain}/revoke-tokens", post(control::revoke_tokens))
            .route("/__emulator/shops/{domain}/orders/{id}/refund", post(orders::refund_order))
            .route("/__emulator/shops", post(control::register_shop))
            .route("/__emulator/shops/{domain}/variants", post(control::add_variant))
            .route("/__emulator/shops/{domain}/state", get(control::shop_state))
            .route("/__emulator/shops/{domain}/settings", post(control::set_behaviour))
            .route("/__emulator/shops/{domain}/orders", post(orders::place_order))
            .route("/shops/{domain}/storefront", get(storefront::page))
            .route("/shops/{domain}/api/{version}/graphql.json", post(storefront::storefront_api))
            .route("/shops/{domain}/account/login", get(storefront::login))
            .route("/shops/{domain}/discount/{code}", get(storefront::discount))
            .route("/shops/{domain}/apps/tally/{*path}", any(storefront::proxy))
            .route("/cdn/extensions/loyalty/assets/{file}", get(storefront::asset))
            .route("/shops/{domain}/account", get(extensions::account))
            .route("/shops/{domain}/account/rewards", get(extensions::rewards))
            .route("/shops/{domain}/account/orders/{order}", get(extensions::order_status))
            .route("/shops/{domain}/checkout", get(extensions::checkout))
            .route("/shops/{domain}/checkout/discount-codes", post(extensions::apply_code))
            .route("/shops/{domain}/session-token", get(extensions::token))
            .route("/shops/{domain}/thank-you/{order}", get(extensions::thank_you))
            .route("/cdn/ui-extensions/{handle}/{file}", get(extensions::bundle))
            .route("/__emulator/ui/{file}", get(extensions::host_script))
            .route("/__emulator/faults", post(control::set_faults))
            .route("/__emulator/faults", delete(control::clear_faults))
            .route("/__emulator/health", get(|| async { "ok" }))
            .route("/", post(outlets::aws_json))
            .route("/api/events", post(outlets::klaviyo_event))
            .route("/__emulator/eventbridge/events", get(outlets::eventbridge_events))
            .route("/__emulator/klaviyo/events", get(outlets::klaviyo_events))
            .with_state(self.clone())
    }

    /// A new webhook delivery id, unique in this emulator.
    fn next_delivery_id(&self) -> String {
        let n = self.deliveries.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("b54557e4-bdd9-4b37-8a5f-{n:012}")
    }

    /// Serves on `addr` until the process ends; returns the address bound (useful with port 0).
    pub async fn serve(self: &Arc<Self>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let bound = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Ok(bound)
    }
}

/// Shopify's published schema, parsed once per process.
pub fn load_schema() -> &'static Valid<Schema> {
    static SCHEMA: OnceLock<Valid<Schema>> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        Schema::parse_and_validate(SCHEMA_SDL, "admin-2026-10.graphql").expect("the vendored schema is valid")
    })
}
