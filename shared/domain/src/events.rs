//! Events: what a merchant's emails, flows and themes hear of. An event is derived from a change that has
//! committed (a ledger entry written, a reward reaching a new status, a notice of points about to expire),
//! never announced beside it, so that it exists exactly when its change does. Its id is made from the change
//! alone, so that the same change seen twice is the same event, and each destination keeps one effect per id.

use rust_decimal::Decimal;

use super::customer::Customer;
use super::ids::{CustomerId, OrderId, RewardId, RuleId};
use super::ledger::{LedgerEntry, LedgerKind};
use super::reward::{FailureReason, Reward, RewardState, RewardStatus};
use super::rule::RewardType;
use super::shop::ShopDomain;
use super::{vocabulary, Time};

vocabulary! {
    /// The event catalogue (`docs/event-catalogue.json` has each one's schema).
    pub enum EventName {
        /// A reward's code or credit exists in Shopify: it can be used.
        RewardIssued = "reward.issued",
        /// An order used the reward.
        RewardUsed = "reward.used",
        /// The reward was refunded: its points went back.
        RewardRefunded = "reward.refunded",
        /// The reward ended unused.
        RewardExpired = "reward.expired",
        /// Shopify never issued the reward: its points went back.
        RewardFailed = "reward.failed",
        /// Points given (add-points, an import).
        PointsAdded = "points.added",
        /// Points taken (remove-points, or a reward's points taken again after a late use).
        PointsRemoved = "points.removed",
        /// Points whose lot expired unspent.
        PointsExpired = "points.expired",
        /// A reward's points given back (it failed, was refunded, expired or its order was cancelled).
        PointsReturned = "points.returned",
        /// Points will expire soon (the shop's notice period before their lot's day).
        PointsExpiringSoon = "points.expiring_soon",
    }
}

vocabulary! {
    /// Where events go. Klaviyo keeps one event per id itself and a metafield keeps the newest state;
    /// EventBridge and Flow are sent each event once, marked when they took it.
    pub enum Destination {
        EventBridge = "EVENTBRIDGE",
        Klaviyo = "KLAVIYO",
        Flow = "FLOW",
        Metafield = "METAFIELD",
    }
}

/// The reward an event is about, as it stands after the change.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardFacts {
    pub id: RewardId,
    pub rule_id: RuleId,
    pub status: RewardStatus,
    pub discount_type: RewardType,
    pub code: Option<String>,
    pub amount: Option<Decimal>,
    pub currency: String,
    pub points: i64,
    pub expires_at: Option<Time>,
    pub failure_reason: Option<FailureReason>,
}

/// Points about to expire: how many, and when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiring {
    pub points: i64,
    pub at: Time,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Stable: the same change always gives the same id.
    pub id: String,
    pub name: EventName,
    pub shop: ShopDomain,
    pub customer_id: CustomerId,
    pub at: Time,
    /// The change of the customer's available points (negative when taken), 0 when none moved.
    pub points: i64,
    /// The customer's available points after the change, when the change tells them.
    pub balance_after: Option<i64>,
    /// The ledger's word for the change, for a points event.
    pub kind: Option<LedgerKind>,
    pub reward: Option<RewardFacts>,
    pub order_id: Option<OrderId>,
    pub expiring: Option<Expiring>,
}

/// The event a ledger entry is, if any: a reward's own spending and reservation are told by the reward's
/// events, and a reservation paid by its order moves no available points.
pub fn of_ledger(shop: &ShopDomain, entry: &LedgerEntry) -> Option<Event> {
    let name = match entry.kind {
        LedgerKind::Credit => EventName::PointsAdded,
        LedgerKind::Debit | LedgerKind::LateUse => EventName::PointsRemoved,
        LedgerKind::PointsExpired => EventName::PointsExpired,
        LedgerKind::RedeemReversed | LedgerKind::ReservationReleased => EventName::PointsReturned,
        LedgerKind::Redeem | LedgerKind::Reserve | LedgerKind::ReservationSpent => return None,
    };
    Some(Event {
        // The entry's time besides its number: a shop deleted and installed again counts its ledgers afresh.
        id: format!("{shop}/{}/ledger/{}/{}", entry.customer_id, entry.seq, entry.at.unix_timestamp()),
        name,
        shop: shop.clone(),
        customer_id: entry.customer_id,
        at: entry.at,
        points: entry.delta,
        balance_after: Some(entry.balance_after),
        kind: Some(entry.kind),
        reward: None,
        order_id: entry.order_id,
        expiring: None,
    })
}

/// The event of a reward's change from `before` (`None`: it is new) to `after`, if the change is one: a
/// status reached, never the same status written again. `at` is when the change committed.
pub fn of_reward(before: Option<RewardStatus>, after: &Reward, at: Time) -> Option<Event> {
    let status = after.status();
    // A reward moved in was issued elsewhere, long since: its arrival is no news.
    if before == Some(status) || (before.is_none() && after.imported) {
        return None;
    }
    let name = match status {
        RewardStatus::Pending => return None,
        RewardStatus::Unused => EventName::RewardIssued,
        RewardStatus::Used => EventName::RewardUsed,
        RewardStatus::Refunded => EventName::RewardRefunded,
        RewardStatus::Expired => EventName::RewardExpired,
        RewardStatus::Failed => EventName::RewardFailed,
    };
    Some(Event {
        id: format!("{}/{}/reward/{}/{}", after.shop, after.customer_id, after.id, status.as_str().to_lowercase()),
        name,
        shop: after.shop.clone(),
        customer_id: after.customer_id,
        at,
        points: 0,
        balance_after: None,
        kind: None,
        reward: Some(RewardFacts {
            id: after.id,
            rule_id: after.point_redeem_rule_id,
            status,
            discount_type: after.discount_type,
            code: after.discount_code.clone(),
            amount: after.amount,
            currency: after.currency.clone(),
            points: after.points_redeemed,
            expires_at: after.expire_date,
            failure_reason: match after.state {
                RewardState::Failed { reason } => Some(reason),
                _ => None,
            },
        }),
        order_id: after.order().map(|order| order.id),
        expiring: None,
    })
}

/// The notice that `expiring` points of the customer expire soon: one per customer and day of expiry.
pub fn expiring_soon(shop: &ShopDomain, customer_id: CustomerId, expiring: Expiring, noticed_at: Time) -> Event {
    Event {
        id: format!("{shop}/{customer_id}/expiring/{}", expiring.at.date()),
        name: EventName::PointsExpiringSoon,
        shop: shop.clone(),
        customer_id,
        at: noticed_at,
        points: 0,
        balance_after: None,
        kind: None,
        reward: None,
        order_id: None,
        expiring: Some(expiring),
    }
}

/// What the customer's metafield holds: the balance, and the next points to expire. `version` is the
/// customer record's, so that an older state never overwrites a newer one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub customer_id: CustomerId,
    pub balance: i64,
    pub next_expiry: Option<Expiring>,
    pub version: u64,
}

impl Standing {
    pub fn of(customer: &Customer) -> Standing {
        let next_expiry =
            customer.lots.next_expiring().and_then(|lot| Some(Expiring { points: lot.points, at: lot.expires_at? }));
        Standing {
            customer_id: customer.customer_id,
            balance: customer.available_points,
            next_expiry,
            version: customer.version,
        }
    }

    /// Whether this state should replace one written at `stored` (none written yet: it should).
    pub fn replaces(&self, stored: Option<u64>) -> bool {
        stored.is_none_or(|stored| self.version > stored)
    }
}

#[cfg(test)]
#[path = "events_tests.rs"]
mod tests;
