//! An event in the words its destinations read: the catalogue's JSON (`docs/event-catalogue.json`, the same
//! on the bus, in Klaviyo's properties and in the dead letters), Klaviyo's metric names, and Flow's
//! triggers and their payloads (`shopify/extensions/tally-*/shopify.extension.toml`).

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use tally_domain::customer::Customer;
use tally_domain::events::{Event, EventName, Standing};
use tally_domain::rfc3339;

/// The customer an event names, every identifier Tally has of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerFacts {
    pub id: u64,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
}

impl CustomerFacts {
    pub fn of(customer: &Customer) -> CustomerFacts {
        CustomerFacts {
            id: customer.customer_id.get(),
            email: customer.email.as_ref().map(|e| e.as_str().to_string()),
            phone: customer.phone.as_ref().map(|p| p.as_str().to_string()),
            external_id: customer.external_id.as_ref().map(|x| x.as_str().to_string()),
        }
    }
}

/// Who a customer is, or their id alone when they are gone.
pub fn facts(customer: Option<&Customer>, id: tally_domain::ids::CustomerId) -> CustomerFacts {
    customer.map(CustomerFacts::of).unwrap_or(CustomerFacts { id: id.get(), ..CustomerFacts::default() })
}

/// An event's JSON (as the outbox keeps it) with the customer as they are now.
pub fn with_customer(body: &str, customer: &CustomerFacts) -> String {
    let mut body: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    if let Some(object) = body.as_object_mut() {
        object.insert("customer".into(), json!(customer));
    }
    body.to_string()
}

/// The catalogue's JSON of an event.
pub fn body(event: &Event, customer: &CustomerFacts) -> serde_json::Value {
    let reward = event.reward.as_ref().map(|r| RewardBody {
        id: r.id.get(),
        rule_id: r.rule_id.get(),
        status: r.status.as_str(),
        discount_type: r.discount_type.as_str(),
        code: r.code.clone(),
        amount: r.amount.map(money),
        currency: r.currency.clone(),
        points: r.points,
        expires_at: r.expires_at.map(rfc3339),
        failure_reason: r.failure_reason.map(|f| f.as_str()),
    });
    let body = EventBody {
        id: &event.id,
        name: event.name.as_str(),
        shop: event.shop.as_str(),
        occurred_at: rfc3339(event.at),
        customer,
        points: event.points,
        balance_after: event.balance_after,
        kind: event.kind.map(|k| k.as_str()),
        reward,
        order_id: event.order_id.map(|o| o.get()),
        expiring: event.expiring.map(|e| ExpiringBody { points: e.points, at: rfc3339(e.at) }),
    };
    serde_json::to_value(body).unwrap_or_default()
}

/// An event in the catalogue's words (docs/event-catalogue.json).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct EventBody<'a> {
    id: &'a str,
    name: &'static str,
    shop: &'a str,
    occurred_at: String,
    customer: &'a CustomerFacts,
    points: i64,
    balance_after: Option<i64>,
    kind: Option<&'static str>,
    reward: Option<RewardBody>,
    order_id: Option<u64>,
    expiring: Option<ExpiringBody>,
}

#[derive(Debug, Serialize, Deserialize)]
struct ExpiringBody {
    points: i64,
    at: String,
}

/// The reward an event is about, in the catalogue's words.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct RewardBody {
    id: u64,
    rule_id: u64,
    status: &'static str,
    discount_type: &'static str,
    code: Option<String>,
    amount: Option<String>,
    currency: String,
    points: i64,
    expires_at: Option<String>,
    failure_reason: Option<&'static str>,
}

/// Amounts as text with their digits, as the API writes them in strings.
fn money(amount: Decimal) -> String {
    amount.normalize().to_string()
}

/// Klaviyo's metric for the event: `Tally Reward Issued`.
pub fn metric(name: EventName) -> String {
    let words = name.as_str().split(['.', '_']).map(|word| {
        let mut chars = word.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect::<String>()).unwrap_or_default()
    });
    std::iter::once("Tally".to_string()).chain(words).collect::<Vec<_>>().join(" ")
}

/// The Flow trigger the event fires, if any (the handles of `shopify/extensions/`).
pub fn flow_trigger(name: EventName) -> Option<&'static str> {
    match name {
        EventName::RewardIssued => Some("tally-reward-issued"),
        EventName::RewardUsed => Some("tally-reward-used"),
        EventName::PointsExpiringSoon => Some("tally-points-expiring-soon"),
        EventName::PointsAdded | EventName::PointsRemoved | EventName::PointsExpired | EventName::PointsReturned => {
            Some("tally-points-changed")
        }
        EventName::RewardRefunded | EventName::RewardExpired | EventName::RewardFailed => None,
    }
}

/// The trigger's payload: its fields by their keys, the customer as Flow's `customer_id` reference.
pub fn flow_payload(event: &Event) -> serde_json::Value {
    let reward = event.reward.as_ref();
    let mut payload = json!({
        "customer_id": event.customer_id.get(),
        "Event id": event.id,
        "Event": event.name.as_str(),
    });
    let fields = match event.name {
        EventName::RewardIssued | EventName::RewardUsed => json!({
            "Reward code": reward.and_then(|r| r.code.clone()).unwrap_or_default(),
            "Points spent": reward.map(|r| r.points).unwrap_or_default(),
        }),
        EventName::PointsExpiringSoon => json!({
            "Points expiring": event.expiring.map(|e| e.points).unwrap_or_default(),
            "Expires at": event.expiring.map(|e| rfc3339(e.at)).unwrap_or_default(),
        }),
        _ => json!({"Points": event.points, "Balance": event.balance_after.unwrap_or_default()}),
    };
    if let (Some(payload), serde_json::Value::Object(fields)) = (payload.as_object_mut(), fields) {
        payload.extend(fields);
    }
    payload
}

/// The metafield Tally keeps on each customer: `$app:tally.loyalty`, JSON.
pub const METAFIELD_NAMESPACE: &str = "$app:tally";
pub const METAFIELD_KEY: &str = "loyalty";

/// The metafield's value.
pub fn standing(standing: &Standing) -> String {
    let value = StandingBody {
        balance: standing.balance,
        next_expiry: standing.next_expiry.map(|e| ExpiringBody { points: e.points, at: rfc3339(e.at) }),
        version: Some(standing.version),
    };
    serde_json::to_string(&value).unwrap_or_default()
}

/// The metafield's value: what the theme and the extensions read.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct StandingBody {
    balance: i64,
    next_expiry: Option<ExpiringBody>,
    version: Option<u64>,
}

/// The version a stored metafield value was written at, if it is one of Tally's.
pub fn standing_version(value: &str) -> Option<u64> {
    serde_json::from_str::<StandingBody>(value).ok()?.version
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_names_are_klaviyo_titles() {
        assert_eq!(metric(EventName::RewardIssued), "Tally Reward Issued");
        assert_eq!(metric(EventName::PointsExpiringSoon), "Tally Points Expiring Soon");
    }

    #[test]
    fn a_stored_standing_tells_its_version_and_anything_else_none() {
        assert_eq!(standing_version(r#"{"balance": 5, "nextExpiry": null, "version": 9}"#), Some(9));
        assert_eq!(standing_version("12"), None);
        assert_eq!(standing_version("not json"), None);
    }
}
