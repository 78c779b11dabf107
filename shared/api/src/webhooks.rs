//! Shopify's webhook deliveries: the signature verified over the raw body before anything is read, then
//! the body read as its topic says.

use lambda_http::{Body, Request, Response};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use tally_app::ports::{Shopify, Store};
use tally_app::webhooks::{self, Event, Malformed};
use tally_app::Deps;
use tally_domain::ids::{CustomerId, OrderId};
use tally_domain::order::Order;

use crate::endpoint::{respond, Reply};
use crate::errors::Problem;
use crate::request::Invalid;
use crate::{auth, request, views};

/// The parts of Shopify's REST Order that matter here.
#[derive(Debug, Deserialize)]
struct OrderBody {
    id: OrderId,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    discount_codes: Vec<DiscountCodeBody>,
    /// Null until the order is cancelled: `orders/cancelled` must say when.
    #[serde(default)]
    cancelled_at: Option<String>,
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
    /// An order's fields, which no customer has: an order's body sent under the customer topic.
    #[serde(default)]
    discount_codes: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    line_items: Option<serde::de::IgnoredAny>,
}

/// The parts of Shopify's REST Refund that matter here: the order (Shopify is asked how it now stands).
#[derive(Debug, Deserialize)]
struct RefundBody {
    order_id: OrderId,
}

/// The compliance webhooks' customer (`customers/data_request`, `customers/redact`) and shop.
#[derive(Debug, Deserialize)]
struct ComplianceBody {
    shop_domain: String,
    customer: ComplianceCustomer,
}

/// `shop/redact`'s body: the shop it is about.
#[derive(Debug, Deserialize)]
struct ShopRedactBody {
    shop_domain: String,
}

/// `app/uninstalled`'s body, Shopify's REST Shop: the shop it is about.
#[derive(Debug, Deserialize)]
struct UninstalledBody {
    #[serde(default)]
    myshopify_domain: Option<String>,
}

#[derive(Debug, Deserialize)]
struct ComplianceCustomer {
    id: CustomerId,
}

/// Verifies, reads and handles one delivery.
pub async fn receive<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Response<Body> {
    respond(handle(deps, req).await)
}

async fn handle<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Reply<'static>, Problem> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
    let domain = header("x-shopify-shop-domain").to_lowercase();
    if !request::within_limit(req) {
        return Err(Problem::too_large());
    }
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
    let triggered_at = triggered_at(&header);
    let event = event(&topic, body, &domain).map(|event| match event {
        Event::AppUninstalled { .. } => Event::AppUninstalled { triggered_at },
        other => other,
    });
    let handled = webhooks::receive(deps, &shop, &delivery, event, triggered_at, request::deadline(req)).await?;
    Reply::json(200, &views::handled(&handled))
}

/// `X-Shopify-Triggered-At`: when what the delivery reports happened, if it says.
fn triggered_at(header: &dyn Fn(&str) -> String) -> Option<tally_domain::Time> {
    let at = header("x-shopify-triggered-at");
    tally_domain::Time::parse(&at, &time::format_description::well_known::Rfc3339).ok()
}

/// The delivery's body, as its topic says to read it. A body about another shop than the header's is
/// refused: the signature covers the body only, and one app's secret may sign for several shops.
fn event(topic: &str, body: &[u8], domain: &str) -> Result<Event, Malformed> {
    let same_shop = |named: &str| match named.eq_ignore_ascii_case(domain) {
        true => Ok(()),
        false => Err(Malformed { topic: topic.into(), reason: format!("the body is about shop {named}") }),
    };
    // The topic is a header, outside the signature: a body must be what its topic says.
    let not_the_topic = |reason: &str| Malformed { topic: topic.into(), reason: reason.into() };
    Ok(match topic {
        "orders/create" => Event::OrderCreated(order(read(topic, body)?)),
        "orders/cancelled" => {
            let cancelled: OrderBody = read(topic, body)?;
            if cancelled.cancelled_at.is_none() {
                return Err(not_the_topic("an order that is not cancelled"));
            }
            Event::OrderCancelled(order(cancelled))
        }
        "customers/create" => {
            let customer: CustomerBody = read(topic, body)?;
            if customer.discount_codes.is_some() || customer.line_items.is_some() {
                return Err(not_the_topic("an order's body, not a customer's"));
            }
            Event::CustomerCreated { customer_id: customer.id, email: customer.email }
        }
        "refunds/create" => Event::RefundCreated { order_id: read::<RefundBody>(topic, body)?.order_id },
        "app/uninstalled" => {
            read::<UninstalledBody>(topic, body)?.myshopify_domain.map_or(Ok(()), |named| same_shop(&named))?;
            Event::AppUninstalled { triggered_at: None }
        }
        "customers/data_request" | "customers/redact" => {
            let compliance: ComplianceBody = read(topic, body)?;
            same_shop(&compliance.shop_domain)?;
            match topic {
                "customers/data_request" => Event::CustomerDataRequest { customer_id: compliance.customer.id },
                _ => Event::CustomerRedact { customer_id: compliance.customer.id },
            }
        }
        "shop/redact" => {
            same_shop(&read::<ShopRedactBody>(topic, body)?.shop_domain)?;
            Event::ShopRedact
        }
        other => Event::Other(other.into()),
    })
}

/// A malformed body under a valid signature is refused, and logged: Shopify sent something unexpected.
fn read<T: DeserializeOwned>(topic: &str, body: &[u8]) -> Result<T, Malformed> {
    serde_json::from_slice(body).map_err(|e| {
        tracing::warn!(topic, error = %e, "malformed webhook body under a valid signature");
        Malformed { topic: topic.into(), reason: e.to_string() }
    })
}

fn order(body: OrderBody) -> Order {
    Order {
        id: body.id,
        name: body.name.unwrap_or_else(|| body.id.to_string()),
        codes: body.discount_codes.into_iter().map(|used| used.code).collect(),
    }
}
