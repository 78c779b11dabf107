//! Orders placed through the control API, and the Shopify-signed webhooks they deliver.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::json;

use crate::state::Order;
use crate::webhooks::{deliver, Target};
use crate::Emulator;

/// `POST /__emulator/shops/{domain}/orders`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewOrder {
    #[serde(default)]
    codes: Vec<String>,
    /// The ordering customer; `null` for a guest order.
    #[serde(default)]
    customer_id: Option<u64>,
    /// Also deliver `orders/cancelled`.
    #[serde(default)]
    cancel: bool,
    /// Deliver `orders/cancelled` before `orders/create`.
    #[serde(default)]
    cancel_first: bool,
    /// How many copies of each webhook to deliver at once (Shopify delivers at least once).
    #[serde(default = "one")]
    copies: usize,
    /// Give each copy its own `X-Shopify-Webhook-Id`, as separate subscriptions would.
    #[serde(default)]
    distinct_deliveries: bool,
    /// Wait this long before delivering.
    #[serde(default)]
    delay_ms: u64,
    /// Deliver no webhook at all: Shopify gave up on the endpoint, or the subscription was missing.
    #[serde(default)]
    webhooks_lost: bool,
}

fn one() -> usize {
    1
}

pub async fn place_order(
    State(emulator): State<Arc<Emulator>>,
    Path(domain): Path<String>,
    Json(request): Json<NewOrder>,
) -> Response {
    let domain = domain.to_lowercase();
    let (order, target) = {
        let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(shop) = state.shops.get_mut(&domain) else {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response();
        };
        let mut uses = Vec::new();
        for code in &request.codes {
            let customer_gid = request.customer_id.map(|id| format!("gid://shopify/Customer/{id}"));
            let Some(discount) = shop.discounts.iter_mut().find(|d| d.code.eq_ignore_ascii_case(code)) else {
                return unprocessable(format!("discount code {code} does not exist"));
            };
            if discount.status != "ACTIVE" {
                return unprocessable(format!("discount code {code} is not active"));
            }
            if discount.usage_limit.as_u64().is_some_and(|limit| discount.used >= limit) {
                return unprocessable(format!("discount code {code} has been used"));
            }
            if customer_gid.is_some() && discount.customer.is_some() && discount.customer != customer_gid {
                return unprocessable(format!("discount code {code} is for another customer"));
            }
            discount.used += 1;
            discount.uses.push(std::time::Instant::now());
            let kind = if discount.kind == "free_shipping" { "shipping" } else { "fixed_amount" };
            uses.push(json!({"code": discount.code, "amount": "0.00", "type": kind}));
        }
        let (id, number) = shop.next_order();
        let codes = uses.iter().filter_map(|u| u["code"].as_str().map(str::to_string)).collect();
        let name = format!("#{number}");
        let kept = Order { id, name: name.clone(), codes, customer_id: request.customer_id, financial_status: "PAID" };
        shop.orders.insert(id, kept);
        let order = json!({
            "id": id, "name": name, "email": null, "currency": "USD", "total_price": "50.00",
            "cancelled_at": null, "created_at": "2026-11-23T10:15:00Z",
            "customer": request.customer_id.map(|id| json!({"id": id})),
            "discount_codes": uses,
        });
        (order, Target::of(shop))
    };
    tokio::time::sleep(Duration::from_millis(request.delay_ms)).await;
    let mut topics = if request.webhooks_lost { vec![] } else { vec!["orders/create"] };
    if request.cancel && !request.webhooks_lost {
        topics.push("orders/cancelled");
        if request.cancel_first {
            topics.reverse();
        }
    }
    let mut deliveries = Vec::new();
    for topic in topics {
        let mut body = order.clone();
        if topic == "orders/cancelled" {
            body["cancelled_at"] = json!("2026-11-23T10:20:00Z");
        }
        let copies = (request.copies, request.distinct_deliveries);
        deliveries.extend(deliver(&emulator, &domain, &target, topic, &body, copies).await);
    }
    (StatusCode::CREATED, Json(json!({"order": order, "deliveries": deliveries}))).into_response()
}

/// `POST /__emulator/shops/{domain}/orders/{id}/refund {"full", "copies"}`: refunds the order in full or in
/// part and delivers signed `refunds/create`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewRefund {
    full: bool,
    #[serde(default = "one")]
    copies: usize,
}

pub async fn refund_order(
    State(emulator): State<Arc<Emulator>>,
    Path((domain, id)): Path<(String, u64)>,
    Json(request): Json<NewRefund>,
) -> Response {
    let domain = domain.to_lowercase();
    let (refund, target) = {
        let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(shop) = state.shops.get_mut(&domain) else {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown shop"}))).into_response();
        };
        let (refund_id, _) = shop.next_order();
        let Some(order) = shop.orders.get_mut(&id) else {
            return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown order"}))).into_response();
        };
        // An order refunded in full stays refunded.
        let full = request.full || order.financial_status == "REFUNDED";
        order.financial_status = if full { "REFUNDED" } else { "PARTIALLY_REFUNDED" };
        let refund = json!({"id": refund_id + 900_000_000, "order_id": id, "created_at": "2026-11-24T09:00:00Z",
            "note": null, "refund_line_items": [], "transactions": []});
        (refund, Target::of(shop))
    };
    let deliveries = deliver(&emulator, &domain, &target, "refunds/create", &refund, (request.copies, false)).await;
    (StatusCode::CREATED, Json(json!({"refund": refund, "deliveries": deliveries}))).into_response()
}

fn unprocessable(message: String) -> Response {
    (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"error": message}))).into_response()
}
