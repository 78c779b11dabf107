//! Shopify's webhook deliveries, once verified and read: deduplicated by delivery, dispatched by topic,
//! and idempotent in their effects per reward and order, since one order can arrive through several
//! deliveries.

use std::time::Instant;

use tally_domain::customer::{EnrollRefused, Enrollment, EnrollmentError};
use tally_domain::ids::{CustomerId, OrderId};
use tally_domain::order::Order;
use tally_domain::shop::{Shop, ShopStatus};
use tally_domain::Time;

use crate::enroll::{join, EnrollError};
use crate::error::Unavailable;
use crate::orders::{self, OrderOutcome};
use crate::ports::store::Markers;
use crate::ports::{Shopify, Store};
use crate::{privacy, redaction, shops, Deps};

/// What a delivery says happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    OrderCreated(Order),
    OrderCancelled(Order),
    /// A customer was created in Shopify.
    CustomerCreated {
        customer_id: u64,
        email: Option<String>,
    },
    /// An order was refunded, in full or in part.
    RefundCreated {
        order_id: OrderId,
    },
    /// When Shopify says the uninstall happened (`X-Shopify-Triggered-At`), if it says.
    AppUninstalled {
        triggered_at: Option<Time>,
    },
    /// Compliance: a customer asked what is held about them.
    CustomerDataRequest {
        customer_id: CustomerId,
    },
    /// Compliance: erase a customer's personal data.
    CustomerRedact {
        customer_id: CustomerId,
    },
    /// Compliance: delete everything of the shop (48 hours after the app was uninstalled).
    ShopRedact,
    /// A topic Tally does not act on.
    Other(String),
}

/// A body under a valid signature that does not have its topic's shape: the parser's account of it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {topic} body: {reason}")]
pub struct Malformed {
    pub topic: String,
    pub reason: String,
}

/// What handling a delivery did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handled {
    /// The delivery was handled before.
    Duplicate,
    OrderCreated(OrderOutcome),
    OrderCancelled(OrderOutcome),
    CustomerCreated(Enrolling),
    /// A full refund's outcome; `None` for a partial refund (or an order Shopify does not know).
    RefundCreated(Option<OrderOutcome>),
    Uninstalled,
    /// Whether Tally holds anything of the customer.
    DataRequest {
        held: bool,
    },
    CustomerRedacted {
        found: bool,
    },
    /// The shop's deletion is recorded (`redaction`); `new` unless it was before.
    ShopRedactionRecorded {
        new: bool,
    },
    Ignored(Ignored),
}

/// Why a delivery changed nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ignored {
    /// A topic Tally does not act on.
    Topic(String),
    /// An uninstall Shopify triggered before the shop was connected again: an old one, delivered late.
    StaleUninstall,
    /// `shop/redact` for a shop whose app is installed.
    ShopInstalled,
    /// Shopify triggered it longer ago than Shopify retries (`STALE_AFTER`): a captured delivery sent again.
    Stale,
}

/// Shopify retries a delivery for 48 hours; one triggered longer ago than this is not Shopify's.
pub const STALE_AFTER: time::Duration = time::Duration::hours(72);

/// What a `customers/create` did about enrollment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enrolling {
    Enrolled,
    AlreadyEnrolled,
    /// The shop does not enroll new customers (`autoEnroll` off).
    Off,
    /// The customer cannot be enrolled as Shopify describes them.
    Refused(EnrollmentError),
    /// Another customer has the email, or the customer is excluded.
    NotEnrolled,
}

/// Why a delivery was not handled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WebhookError {
    #[error(transparent)]
    Malformed(#[from] Malformed),
    /// Nothing was recorded: Shopify's retry is handled. A shop's deletion that ran out of time is this.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<crate::ports::StoreError> for WebhookError {
    fn from(e: crate::ports::StoreError) -> Self {
        WebhookError::Unavailable(e.into())
    }
}

/// Handles a delivery. It is recorded as handled only once its effects are made, so that a delivery whose
/// handler died halfway is handled again when Shopify retries it; every effect is idempotent on its own
/// (per reward and order), so a delivery handled twice at once, or again after a crash, changes nothing
/// more.
///
/// A body Tally cannot read (`Err`) is recorded as handled at once and refused: its retries would be the
/// same body, and are answered as duplicates.
pub async fn receive<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    delivery: &str,
    event: Result<Event, Malformed>,
    triggered_at: Option<tally_domain::Time>,
    deadline: Option<Instant>,
) -> Result<Handled, WebhookError> {
    // The header is Shopify's word, outside the signature: a time past the calendar is not stale, and
    // does not panic.
    if triggered_at.and_then(|at| at.checked_add(STALE_AFTER)).is_some_and(|stale| stale < deps.now()) {
        tracing::warn!(delivery, ?triggered_at, "a delivery triggered longer ago than Shopify retries; ignored");
        return Ok(Handled::Ignored(Ignored::Stale));
    }
    let store = deps.store.shop(&shop.domain);
    // An order's rewards are read while the delivery is checked: a duplicate only wastes the reads.
    let order_rewards = async {
        match &event {
            Ok(Event::OrderCreated(order)) => Some(orders::prepare_created(deps, shop, order).await),
            _ => None,
        }
    };
    let (handled_before, order_rewards) = tokio::join!(store.delivery_handled(delivery), order_rewards);
    if handled_before? {
        return Ok(Handled::Duplicate);
    }
    let handled = match (event, order_rewards) {
        (Ok(Event::OrderCreated(order)), Some(rewards)) => {
            Handled::OrderCreated(orders::created_prepared(deps, shop, &order, rewards).await?)
        }
        (Ok(event), _) => dispatch(deps, shop, event, deadline).await?,
        (Err(malformed), _) => {
            store.record_delivery(delivery, deps.now()).await?;
            return Err(malformed.into());
        }
    };
    if let Err(e) = store.record_delivery(delivery, deps.now()).await {
        // The effects are made; a retry would find them made.
        tracing::warn!(error = %e, delivery, "could not record a handled delivery");
    }
    Ok(handled)
}

async fn dispatch<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    event: Event,
    deadline: Option<Instant>,
) -> Result<Handled, Unavailable> {
    Ok(match event {
        Event::RefundCreated { order_id } => {
            Handled::RefundCreated(orders::refunded(deps, shop, order_id, deadline).await?)
        }
        Event::AppUninstalled { triggered_at: Some(at) } if at < shop.connected_at => {
            tracing::warn!(triggered_at = %at, "an uninstall from before the shop was connected again; ignored");
            Handled::Ignored(Ignored::StaleUninstall)
        }
        Event::AppUninstalled { .. } => {
            shops::uninstalled(deps, shop).await?;
            Handled::Uninstalled
        }
        Event::CustomerDataRequest { customer_id } => {
            Handled::DataRequest { held: privacy::data_request(deps, shop, customer_id).await? }
        }
        Event::CustomerRedact { customer_id } => {
            Handled::CustomerRedacted { found: privacy::redact_customer(deps, shop, customer_id).await? }
        }
        // Shopify asks 48 hours after an uninstall; a shop that is connected (again) is not erased.
        Event::ShopRedact if shop.status != ShopStatus::Uninstalled => {
            tracing::warn!("shop/redact for a shop whose app is installed; nothing erased");
            Handled::Ignored(Ignored::ShopInstalled)
        }
        Event::ShopRedact => Handled::ShopRedactionRecorded { new: redaction::ask(deps, shop).await? },
        Event::OrderCreated(order) => Handled::OrderCreated(orders::created(deps, shop, &order).await?),
        Event::OrderCancelled(order) => Handled::OrderCancelled(orders::cancelled(deps, shop, &order).await?),
        Event::CustomerCreated { customer_id, email } => {
            Handled::CustomerCreated(customer_created(deps, shop, customer_id, email).await?)
        }
        Event::Other(topic) => {
            tracing::info!(topic, "webhook topic ignored");
            Handled::Ignored(Ignored::Topic(topic))
        }
    })
}

async fn customer_created<S: Store, H>(
    deps: &Deps<S, H>,
    shop: &Shop,
    customer_id: u64,
    email: Option<String>,
) -> Result<Enrolling, Unavailable> {
    if !shop.settings.auto_enroll {
        return Ok(Enrolling::Off);
    }
    let enrollment = match Enrollment::new(customer_id, email.as_deref().unwrap_or_default(), None, None, None) {
        Ok(enrollment) => enrollment,
        Err(reason) => {
            tracing::info!(customer_id, %reason, "customer not enrolled");
            return Ok(Enrolling::Refused(reason));
        }
    };
    match join(&deps.store.shop(&shop.domain), enrollment, None, deps.now()).await {
        Ok(_) => Ok(Enrolling::Enrolled),
        Err(EnrollError::Refused(EnrollRefused::AlreadyEnrolled(_))) => Ok(Enrolling::AlreadyEnrolled),
        Err(EnrollError::Refused(_)) => Ok(Enrolling::NotEnrolled),
        Err(EnrollError::Unavailable(e)) => Err(e),
    }
}
