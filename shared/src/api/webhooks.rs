//! Shopify's webhook deliveries: the signature verified over the raw body before anything is read, then
//! the body read as its topic says.

use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::endpoint::{respond, Reply};
use super::{auth, request, views};
use crate::app::webhooks::{self, Event};
use crate::app::Deps;
use crate::domain::error::{Invalid, TallyError};
use crate::domain::order::Order;

/// The parts of Shopify's REST Order that matter here.
#[derive(Debug, Deserialize)]
struct OrderBody {
    id: u64,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    discount_codes: Vec<DiscountCodeBody>,
}

#[derive(Debug, Deserialize)]
struct DiscountCodeBody {
    code: String,
}

/// The parts of Shopify's REST Customer that matter here.
#[derive(Debug, Deserialize)]
struct CustomerBody {
    id: u64,
    #[serde(default)]
    email: Option<String>,
}

/// The parts of Shopify's REST Refund that matter here: the order (Shopify is asked how it now stands).
#[derive(Debug, Deserialize)]
struct RefundBody {
    order_id: u64,
}

/// The compliance webhooks' customer (`customers/data_request`, `customers/redact`).
#[derive(Debug, Deserialize)]
struct ComplianceBody {
    customer: ComplianceCustomer,
}

#[derive(Debug, Deserialize)]
struct ComplianceCustomer {
    id: u64,
}

/// Verifies, reads and handles one delivery.
pub async fn receive(deps: &Deps, req: &Request) -> Response<Body> {
    respond(handle(deps, req).await)
}

async fn handle(deps: &Deps, req: &Request) -> Result<Reply, TallyError> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
    let domain = header("x-shopify-shop-domain").to_lowercase();
    let body = request::body(req);
    let shop = auth::webhook(deps, &domain, &header("x-shopify-hmac-sha256"), body).await?;
    tracing::Span::current().record("shop", domain.as_str());
    // Deliveries of one event (through several subscriptions, or again) share its event id; a delivery
    // without one is known by its own id.
    let topic = header("x-shopify-topic");
    let delivery = match (header("x-shopify-event-id"), header("x-shopify-webhook-id")) {
        (event, _) if !event.is_empty() => format!("{topic}:{event}"),
        (_, webhook) if !webhook.is_empty() => format!("{topic}:webhook:{webhook}"),
        _ => return Err(Invalid::WebhookId.into()),
    };
    let event = event(&topic, body);
    let handled = webhooks::receive(deps, &shop, &delivery, event, request::deadline(req)).await?;
    Reply::json(200, &views::handled(&handled))
}

/// The delivery's body, as its topic says to read it.
fn event(topic: &str, body: &[u8]) -> Result<Event, Invalid> {
    Ok(match topic {
        "orders/create" => Event::OrderCreated(order(read(topic, body)?)),
        "orders/cancelled" => Event::OrderCancelled(order(read(topic, body)?)),
        "customers/create" => {
            let customer: CustomerBody = read(topic, body)?;
            Event::CustomerCreated { customer_id: customer.id, email: customer.email }
        }
        "refunds/create" => Event::RefundCreated { order_id: read::<RefundBody>(topic, body)?.order_id },
        "app/uninstalled" => Event::AppUninstalled,
        "customers/data_request" => {
            Event::CustomerDataRequest { customer_id: read::<ComplianceBody>(topic, body)?.customer.id }
        }
        "customers/redact" => Event::CustomerRedact { customer_id: read::<ComplianceBody>(topic, body)?.customer.id },
        "shop/redact" => Event::ShopRedact,
        other => Event::Other(other.into()),
    })
}

/// A malformed body under a valid signature is refused, and logged: Shopify sent something unexpected.
fn read<T: DeserializeOwned>(topic: &str, body: &[u8]) -> Result<T, Invalid> {
    serde_json::from_slice(body).map_err(|e| {
        tracing::warn!(topic, error = %e, "malformed webhook body under a valid signature");
        Invalid::WebhookBody { topic: topic.into(), reason: e.to_string() }
    })
}

fn order(body: OrderBody) -> Order {
    Order {
        id: body.id,
        name: body.name.unwrap_or_else(|| body.id.to_string()),
        codes: body.discount_codes.into_iter().map(|used| used.code).collect(),
    }
}
