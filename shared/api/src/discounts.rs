//! Appstle's calls about a reward's code, read and answered in Appstle's shapes: `PUT check-discount`
//! (`customerId`, `discountCode`), `PUT update-discount` (the same and `status`) and the legacy
//! `PUT update-discount-code-status` (`discountCode`, `status`).

use serde::{Deserialize, Serialize};
use tally_app::discounts::CodeStatus;
use tally_domain::ids::CustomerId;
use tally_domain::reward::Reward;

use crate::request::Invalid;
use crate::views::RewardView;

/// Appstle's longest discount code.
const MAX_CODE: usize = 100;

/// `PUT /api/external/check-discount`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CheckBody {
    customer_id: u64,
    discount_code: String,
}

/// `PUT /api/external/update-discount`, and the legacy `update-discount-code-status` (no customer).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StatusBody {
    #[serde(default)]
    customer_id: Option<u64>,
    discount_code: String,
    status: String,
}

/// Whose code, and which.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeOf {
    pub customer: Option<CustomerId>,
    pub code: String,
}

fn code(given: &str) -> Result<String, Invalid> {
    let code = given.trim();
    match code.is_empty() || code.chars().count() > MAX_CODE {
        true => Err(Invalid::DiscountCode { max: MAX_CODE }),
        false => Ok(code.to_string()),
    }
}

fn customer(id: u64) -> Result<CustomerId, Invalid> {
    CustomerId::new(id).ok_or(Invalid::Customer(tally_domain::customer::CustomerRefError::ZeroId))
}

impl CheckBody {
    pub fn command(self) -> Result<(CustomerId, String), Invalid> {
        Ok((customer(self.customer_id)?, code(&self.discount_code)?))
    }
}

impl StatusBody {
    /// `update-discount` names the customer; the legacy call does not (`customer_required` false).
    pub fn command(self, customer_required: bool) -> Result<(CodeOf, CodeStatus), Invalid> {
        let customer = match (self.customer_id, customer_required) {
            (Some(id), _) => Some(customer(id)?),
            (None, true) => return Err(Invalid::Customer(tally_domain::customer::CustomerRefError::Neither)),
            (None, false) => None,
        };
        let status = match self.status.trim() {
            "USED" => CodeStatus::Used,
            "UNUSED" => CodeStatus::Unused,
            "EXPIRED" => CodeStatus::Expired,
            "REFUNDED" => CodeStatus::Refunded,
            "SUBSCRIPTION_ACTIVE" => CodeStatus::SubscriptionActive,
            _ => {
                let allowed = "USED, UNUSED, EXPIRED, REFUNDED, SUBSCRIPTION_ACTIVE".into();
                return Err(Invalid::QueryWord { name: "status", allowed });
            }
        };
        Ok((CodeOf { customer, code: code(&self.discount_code)? }, status))
    }
}

/// `check-discount`'s answer: the reward, with the name Appstle gives its discount's id in Shopify.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CheckedView {
    #[serde(flatten)]
    pub reward: RewardView,
    pub shopify_discount_code_id: Option<String>,
}

impl From<Reward> for CheckedView {
    fn from(reward: Reward) -> Self {
        let shopify_discount_code_id = reward.discount_code_id.clone();
        CheckedView { reward: reward.into(), shopify_discount_code_id }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(body: &str, customer_required: bool) -> Result<(CodeOf, CodeStatus), Invalid> {
        serde_json::from_str::<StatusBody>(body).unwrap().command(customer_required)
    }

    #[test]
    fn appstle_s_bodies_read_and_a_wrong_word_is_refused() {
        let (of, status) =
            read(r#"{"customerId": 67890, "discountCode": "LOYALTY15OFF", "status": "USED"}"#, true).unwrap();
        assert_eq!(
            (of.customer.map(|c| c.get()), of.code.as_str(), status),
            (Some(67890), "LOYALTY15OFF", CodeStatus::Used)
        );
        assert!(
            read(r#"{"discountCode": "X", "status": "USED"}"#, true).is_err(),
            "update-discount names the customer"
        );
        assert!(read(r#"{"discountCode": "X", "status": "USED"}"#, false).is_ok(), "the legacy call does not");
        assert!(read(r#"{"customerId": 1, "discountCode": "X", "status": "SOLD"}"#, true).is_err());
        assert!(read(r#"{"customerId": 1, "discountCode": " ", "status": "USED"}"#, true).is_err());
        let long = format!(r#"{{"customerId": 1, "discountCode": "{}", "status": "USED"}}"#, "A".repeat(101));
        assert!(read(&long, true).is_err());
        assert!(serde_json::from_str::<StatusBody>(r#"{"discountCode": "X", "status": "USED", "typo": 1}"#).is_err());
    }
}
