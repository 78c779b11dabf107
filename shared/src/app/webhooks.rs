//! Shopify's webhook deliveries, once verified and read: deduplicated by delivery, dispatched by topic,
//! and idempotent in their effects per reward and order, since one order can arrive through several
//! deliveries.

use std::time::Instant;

use super::orders::{self, OrderOutcome};
use super::{now, Deps};
use super::{privacy, shops};
use crate::domain::customer::{Enrolled, Enrollment, EnrollmentError};
use crate::domain::error::{Invalid, TallyError};
use crate::domain::order::Order;
use crate::domain::shop::{Shop, ShopStatus};
use crate::domain::Time;

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
        order_id: u64,
    },
    /// When Shopify says the uninstall happened (`X-Shopify-Triggered-At`), if it says.
    AppUninstalled {
        triggered_at: Option<Time>,
    },
    /// Compliance: a customer asked what is held about them.
    CustomerDataRequest {
        customer_id: u64,
    },
    /// Compliance: erase a customer's personal data.
    CustomerRedact {
        customer_id: u64,
    },
    /// Compliance: delete everything of the shop (48 hours after the app was uninstalled).
    ShopRedact,
    /// A topic Tally does not act on.
    Other(String),
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
    /// `false` when the deletion stopped for time; Shopify's retry goes on with it.
    ShopRedacted {
        done: bool,
    },
    Ignored(String),
}

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

/// Handles a delivery. It is recorded as handled only once its effects are made, so that a delivery whose
/// handler died halfway is handled again when Shopify retries it; every effect is idempotent on its own
/// (per reward and order), so a delivery handled twice at once, or again after a crash, changes nothing
/// more.
///
/// A body Tally cannot read (`Err`) is recorded as handled at once and refused: its retries would be the
/// same body, and are answered as duplicates.
pub async fn receive(
    deps: &Deps,
    shop: &Shop,
    webhook_id: &str,
    event: Result<Event, Invalid>,
    deadline: Option<Instant>,
) -> Result<Handled, TallyError> {
    if deps.store.delivery_handled(&shop.domain, webhook_id).await? {
        return Ok(Handled::Duplicate);
    }
    let handled = match event {
        Ok(event) => dispatch(deps, shop, event, deadline).await?,
        Err(invalid) => {
            deps.store.record_delivery(&shop.domain, webhook_id, now()).await?;
            return Err(invalid.into());
        }
    };
    if matches!(handled, Handled::ShopRedacted { .. }) {
        // Nothing of the shop is kept, not even this.
        return Ok(handled);
    }
    if let Err(e) = deps.store.record_delivery(&shop.domain, webhook_id, now()).await {
        // The effects are made; a retry would find them made.
        tracing::warn!(error = %e, webhook_id, "could not record a handled delivery");
    }
    Ok(handled)
}

async fn dispatch(deps: &Deps, shop: &Shop, event: Event, deadline: Option<Instant>) -> Result<Handled, TallyError> {
    Ok(match event {
        Event::RefundCreated { order_id } => {
            Handled::RefundCreated(orders::refunded(deps, shop, order_id, deadline).await?)
        }
        // An uninstall from before the shop was connected again is an old one, delivered late (a retry):
        // the shop stays connected.
        Event::AppUninstalled { triggered_at: Some(at) } if at < shop.connected_at => {
            tracing::warn!(triggered_at = %at, "an uninstall from before the shop was connected again; ignored");
            Handled::Ignored("app/uninstalled from before the last connect".into())
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
            Handled::Ignored("shop/redact while the app is installed".into())
        }
        Event::ShopRedact => match privacy::redact_shop(deps, shop, deadline).await? {
            true => Handled::ShopRedacted { done: true },
            // Answered 503, so that Shopify delivers it again and the deletion goes on.
            false => return Err(TallyError::Busy),
        },
        Event::OrderCreated(order) => Handled::OrderCreated(orders::created(deps, shop, &order).await?),
        Event::OrderCancelled(order) => Handled::OrderCancelled(orders::cancelled(deps, shop, &order).await?),
        Event::CustomerCreated { customer_id, email } => {
            Handled::CustomerCreated(customer_created(deps, shop, customer_id, email).await?)
        }
        Event::Other(topic) => {
            tracing::info!(topic, "webhook topic ignored");
            Handled::Ignored(topic)
        }
    })
}

async fn customer_created(
    deps: &Deps,
    shop: &Shop,
    customer_id: u64,
    email: Option<String>,
) -> Result<Enrolling, TallyError> {
    if !shop.settings.auto_enroll {
        return Ok(Enrolling::Off);
    }
    let email = email.unwrap_or_default();
    let enrollment = Enrollment { customer_id, email, phone: None, external_id: None, vip_tier: None };
    let enrollment = match enrollment.checked() {
        Ok(enrollment) => enrollment,
        Err(reason) => {
            tracing::info!(customer_id, %reason, "customer not enrolled");
            return Ok(Enrolling::Refused(reason));
        }
    };
    match deps.store.enroll(&shop.domain, enrollment, None, now()).await {
        Ok((_, Enrolled::New | Enrolled::Reactivated)) => Ok(Enrolling::Enrolled),
        Err(TallyError::CustomerAlreadyEnrolled(_)) => Ok(Enrolling::AlreadyEnrolled),
        Err(TallyError::EmailInUse(_) | TallyError::CustomerExcluded) => Ok(Enrolling::NotEnrolled),
        Err(e) => Err(e),
    }
}
