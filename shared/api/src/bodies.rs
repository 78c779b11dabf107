//! Request bodies as clients send them (camelCase JSON; unknown fields are refused), each turned into the
//! typed command its use case takes.

use serde::Deserialize;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use tally_app::adjust::Adjustment;
use tally_app::refund::{RefundCommand, DEFAULT_REASON};
use tally_domain::customer::{CustomerParts, CustomerRef, Enrollment};
use tally_domain::ids::{RewardId, RuleId, VariantId};
use tally_domain::ledger::{Direction, MAX_REASON};
use tally_domain::points::Points;
use tally_domain::redemption::RedeemCommand;
use tally_domain::Time;

use crate::request::{number, Invalid};
pub use crate::rule_body::RuleBody;

/// The customer a body names: exactly one of its identifiers.
fn customer(
    id: Option<u64>,
    email: &Option<String>,
    phone: &Option<String>,
    external_id: &Option<String>,
) -> Result<CustomerRef, Invalid> {
    let parts =
        CustomerParts { id, email: email.as_deref(), phone: phone.as_deref(), external_id: external_id.as_deref() };
    Ok(CustomerRef::from_parts(parts)?)
}

/// `POST /api/external/redeem-points`, and the portal's `POST /loyalty/cp/api/redeem-points` without a customer.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RedeemBody {
    customer_id: Option<u64>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_external_id: Option<String>,
    redeem_rule_id: Option<u64>,
    points: Option<Value>,
    variant_id: Option<u64>,
    delay_points_deduction: Option<bool>,
}

impl RedeemBody {
    pub fn command(self) -> Result<RedeemCommand, Invalid> {
        let customer =
            customer(self.customer_id, &self.customer_email, &self.customer_phone, &self.customer_external_id)?;
        let redeem_rule_id = RuleId::new(self.redeem_rule_id.ok_or(Invalid::RuleIdMissing)?).ok_or(Invalid::RuleId)?;
        let points = match self.points {
            None | Some(Value::Null) => None,
            Some(value) => Some(Points::new("points", number("points", &value)?)?),
        };
        let variant_id = self.variant_id.map(|id| VariantId::new(id).ok_or(Invalid::VariantId)).transpose()?;
        Ok(RedeemCommand {
            customer,
            redeem_rule_id,
            points,
            variant_id,
            delay_points_deduction: self.delay_points_deduction.unwrap_or(false),
        })
    }

    /// The portal's redemption: for the logged-in customer, and a body that names one is refused.
    pub fn command_for(self, customer_id: tally_domain::ids::CustomerId) -> Result<RedeemCommand, Invalid> {
        // Appstle's portal body may name the logged-in customer by id: that one, and no other, is accepted.
        let named = [&self.customer_email, &self.customer_phone, &self.customer_external_id];
        if self.customer_id.is_some_and(|id| id != customer_id.get()) || named.iter().any(|n| n.is_some()) {
            return Err(Invalid::CustomerInPortalBody);
        }
        RedeemBody { customer_id: Some(customer_id.get()), ..self }.command()
    }
}

/// The ledger's reason for points added, or removed, when the request gives none.
const DEFAULT_ADDED: &str = "points added";
const DEFAULT_REMOVED: &str = "points removed";

/// `POST /api/external/add-points` and `remove-points`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AdjustBody {
    customer_id: Option<u64>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_external_id: Option<String>,
    points: Value,
    /// Why, for the ledger; Appstle's clients call it `note`.
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    note: Option<String>,
    /// Appstle's earn rule the points are for: accepted and ignored (Tally has no earn rules).
    #[serde(default, rename = "earnRuleId")]
    _earn_rule_id: Option<u64>,
    /// The shop, as Appstle's integration guide sends it: accepted and ignored (the key decides the shop).
    #[serde(default, rename = "shop")]
    _shop: Option<String>,
    /// RFC 3339; points added expire then.
    #[serde(default)]
    expires_at: Option<String>,
}

impl AdjustBody {
    pub fn command(self, direction: Direction) -> Result<Adjustment, Invalid> {
        let customer =
            customer(self.customer_id, &self.customer_email, &self.customer_phone, &self.customer_external_id)?;
        let points = Points::new("points", number("points", &self.points)?)?;
        let reason = match (self.reason.as_deref(), self.note.as_deref()) {
            (Some(reason), Some(note)) if reason != note => return Err(Invalid::ReasonAndNote),
            (Some(given), _) | (None, Some(given)) => given.trim(),
            (None, None) => match direction {
                Direction::Add => DEFAULT_ADDED,
                Direction::Remove => DEFAULT_REMOVED,
            },
        };
        if reason.is_empty() || reason.len() > MAX_REASON {
            return Err(Invalid::Reason { max: MAX_REASON });
        }
        let expires_at = match (self.expires_at.as_deref(), direction) {
            (None, _) => None,
            (Some(_), Direction::Remove) => return Err(Invalid::ExpiresAtOnRemoval),
            // A time that cannot be written in UTC (past year 9999 there) is no expiry Tally can keep.
            (Some(text), Direction::Add) => {
                let at = Time::parse(text, &Rfc3339).map_err(|_| Invalid::ExpiresAt)?;
                Some(at.checked_to_offset(time::UtcOffset::UTC).ok_or(Invalid::ExpiresAt)?)
            }
        };
        Ok(Adjustment { customer, points, reason: reason.into(), direction, expires_at })
    }
}

/// `POST /api/external/rewards/{id}/refund`: whose reward it is (the id is in the path), and why.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RefundBody {
    customer_id: Option<u64>,
    customer_email: Option<String>,
    customer_phone: Option<String>,
    customer_external_id: Option<String>,
    reason: Option<String>,
}

impl RefundBody {
    pub fn command(self, reward_id: RewardId) -> Result<RefundCommand, Invalid> {
        let customer =
            customer(self.customer_id, &self.customer_email, &self.customer_phone, &self.customer_external_id)?;
        let reason = match self.reason.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_REASON.to_string(),
            Some(r) if r.chars().count() > MAX_REASON => return Err(Invalid::RefundReason { max: MAX_REASON }),
            Some(r) => r.to_string(),
        };
        Ok(RefundCommand { customer, reward_id, reason })
    }
}

/// `POST /api/external/customers`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EnrollBody {
    customer_id: u64,
    email: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    vip_tier: Option<String>,
}

impl EnrollBody {
    pub fn command(self) -> Result<Enrollment, Invalid> {
        let (phone, external_id, tier) = (self.phone.as_deref(), self.external_id.as_deref(), self.vip_tier.as_deref());
        Ok(Enrollment::new(self.customer_id, &self.email, phone, external_id, tier)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::parse_json;
    use serde_json::json;

    fn redeem(body: Value) -> Result<RedeemCommand, String> {
        parse_json::<RedeemBody>(body.to_string().as_bytes()).and_then(RedeemBody::command).map_err(|e| e.to_string())
    }

    #[test]
    fn a_redemption_names_its_customer_exactly_once_and_points_are_whole() {
        assert!(redeem(json!({"redeemRuleId": 5})).unwrap_err().contains("required"));
        assert!(redeem(json!({"customerId": 1, "customerEmail": "a@b.co", "redeemRuleId": 5}))
            .unwrap_err()
            .contains("customerId and customerEmail"));
        assert!(redeem(json!({"customerId": 1})).unwrap_err().contains("redeemRuleId"));
        assert!(redeem(json!({"customerId": 1, "redeemRuleId": 5, "points": 1.5})).unwrap_err().contains("whole"));
        assert!(redeem(json!({"customerId": 1, "redeemRuleId": 5, "points": "5"})).unwrap_err().contains("number"));
        assert!(redeem(json!({"customerId": 1, "redeemRuleId": 5, "bonus": 1})).unwrap_err().contains("unknown field"));
        let by_email = redeem(json!({"customerEmail": "A@B.co", "redeemRuleId": 5, "points": 500.0})).unwrap();
        assert_eq!(by_email.customer.to_string(), "customerEmail a@b.co");
        assert_eq!(by_email.points.map(Points::get), Some(500));
    }

    #[test]
    fn an_adjustment_needs_a_reason_and_a_refund_may_give_one() {
        let body = |reason: &str| json!({"customerId": 1, "points": 5, "reason": reason}).to_string();
        let adjust = |b: String| parse_json::<AdjustBody>(b.as_bytes()).and_then(|b| b.command(Direction::Remove));
        assert!(adjust(body("  ")).is_err());
        assert_eq!(adjust(body(" goodwill ")).unwrap().reason, "goodwill");
        let far =
            json!({"customerId": 1, "points": 5, "reason": "r", "expiresAt": "9999-12-31T23:30:00-01:00"}).to_string();
        let far = parse_json::<AdjustBody>(far.as_bytes()).and_then(|b| b.command(Direction::Add));
        assert_eq!(far.unwrap_err(), Invalid::ExpiresAt, "a time past what UTC can write is refused, not a panic");
        let refund =
            parse_json::<RefundBody>(br#"{"customerId": 1}"#).unwrap().command(RewardId::from_entropy(9)).unwrap();
        assert_eq!((refund.reward_id.get(), refund.reason.as_str()), (9, DEFAULT_REASON));
    }
}
