//! The events use case's items: a delivery held in the outbox (or a dead letter), the shop's Klaviyo key,
//! and the expire job's notice of points about to expire.

use serde::{Deserialize, Serialize};
use tally_app::ports::events::{DeadReason, NoticeMark, Retry};
use tally_app::ports::store::Position;
use tally_domain::events::Destination;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::corrupt;
use tally_app::ports::StoreError;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryRecord {
    pub shop: String,
    pub destination: Destination,
    pub event_id: String,
    pub body: String,
    pub attempts: u32,
    #[serde(with = "time::serde::rfc3339")]
    pub due: Time,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead: Option<DeadReason>,
    /// A dead letter goes with the table's TTL after `DEAD_LETTERS_KEPT`; a held delivery is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// How long a dead letter is kept for an operator.
pub const DEAD_LETTERS_KEPT: i64 = 30 * 24 * 3600;

impl From<&Retry> for RetryRecord {
    fn from(r: &Retry) -> Self {
        RetryRecord {
            shop: r.shop.to_string(),
            destination: r.destination,
            event_id: r.event_id.clone(),
            body: r.body.clone(),
            attempts: r.attempts,
            due: r.due,
            dead: r.dead,
            expires_at: r.dead.map(|_| r.due.unix_timestamp() + DEAD_LETTERS_KEPT),
        }
    }
}

impl TryFrom<RetryRecord> for Retry {
    type Error = StoreError;

    fn try_from(r: RetryRecord) -> Result<Self, StoreError> {
        Ok(Retry {
            shop: ShopDomain::parse(&r.shop).map_err(|_| corrupt("an outbox item of no shop"))?,
            destination: r.destination,
            event_id: r.event_id,
            body: r.body,
            attempts: r.attempts,
            due: r.due,
            dead: r.dead,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct KlaviyoKeyRecord {
    pub key: String,
}

/// A notice of points about to expire: the stream turns it into `points.expiring_soon`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NoticeRecord {
    pub customer_id: u64,
    pub points: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub lot_expires_at: Time,
    #[serde(with = "time::serde::rfc3339")]
    pub at: Time,
    /// The table's TTL: a month after the lot's day.
    pub expires_at: i64,
}

/// How far the day's pass over the shop's expiring points went (`NoticeMark`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NoticedRecord {
    pub day: time::Date,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after: Option<String>,
    pub done: bool,
}

impl From<&NoticeMark> for NoticedRecord {
    fn from(m: &NoticeMark) -> Self {
        NoticedRecord { day: m.day, after: m.after.as_ref().map(|p| p.0.clone()), done: m.done }
    }
}

impl From<NoticedRecord> for NoticeMark {
    fn from(r: NoticedRecord) -> Self {
        NoticeMark { day: r.day, after: r.after.map(Position), done: r.done }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dead_letter_expires_by_the_table_s_ttl_attribute() {
        let record = RetryRecord {
            shop: "s.myshopify.com".into(),
            destination: Destination::Klaviyo,
            event_id: "e".into(),
            body: "{}".into(),
            attempts: 1,
            due: Time::UNIX_EPOCH,
            dead: Some(DeadReason::Refused),
            expires_at: Some(1),
        };
        super::super::check::written_under(&record, &[super::super::EXPIRES_AT]);
    }
}
