//! What a redemption request is, and the checks it must pass before any point moves.

use serde::Deserialize;

use super::customer::{normalize_email, Customer, CustomerStatus};
use super::error::TallyError;
use super::points::Points;
use super::rule::{RedeemRule, RewardType, RuleStatus};

/// How a request names a customer: exactly one of `customerId` and `customerEmail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(u64),
    Email(String),
}

impl CustomerRef {
    pub fn from_parts(id: Option<u64>, email: Option<&str>) -> Result<CustomerRef, TallyError> {
        match (id, email) {
            (Some(0), None) => Err(TallyError::invalid("customerId must be a Shopify customer id")),
            (Some(id), None) => Ok(CustomerRef::Id(id)),
            (None, Some(email)) => normalize_email(email)
                .map(CustomerRef::Email)
                .ok_or_else(|| TallyError::invalid("customerEmail must be a valid email address")),
            (Some(_), Some(_)) => Err(TallyError::invalid("give customerId or customerEmail, not both")),
            (None, None) => Err(TallyError::invalid("customerId or customerEmail is required")),
        }
    }
}

impl std::fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomerRef::Id(id) => write!(f, "customerId {id}"),
            CustomerRef::Email(email) => write!(f, "customerEmail {email}"),
        }
    }
}

/// The body of `POST /api/external/redeem-points`, as sent.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RedeemBody {
    customer_id: Option<u64>,
    customer_email: Option<String>,
    redeem_rule_id: Option<u64>,
    points: Option<serde_json::Value>,
    variant_id: Option<u64>,
    #[serde(default)]
    delay_points_deduction: Option<bool>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RedeemRequest {
    pub customer: CustomerRef,
    pub redeem_rule_id: u64,
    pub points: Option<i64>,
    pub variant_id: Option<u64>,
    /// Reserve the points now, spend them when the order that uses the code arrives (Yotpo's option).
    pub delay_points_deduction: bool,
}

impl RedeemRequest {
    pub fn parse(body: &[u8]) -> Result<RedeemRequest, TallyError> {
        let body: RedeemBody = super::parse_json(body)?;
        let customer = CustomerRef::from_parts(body.customer_id, body.customer_email.as_deref())?;
        let redeem_rule_id = body.redeem_rule_id.ok_or_else(|| TallyError::invalid("redeemRuleId is required"))?;
        let points = match body.points {
            None | Some(serde_json::Value::Null) => None,
            Some(value) => Some(Points::from_json(&value).map_err(TallyError::InvalidRequest)?.0),
        };
        Ok(RedeemRequest {
            customer,
            redeem_rule_id,
            points,
            variant_id: body.variant_id,
            delay_points_deduction: body.delay_points_deduction.unwrap_or(false),
        })
    }
}

/// Everything a redemption must satisfy before points move, in the order clients are told about them.
/// Returns the cost in points and the variant to give, for free products.
pub fn check(
    rule: &RedeemRule,
    customer: &Customer,
    request: &RedeemRequest,
) -> Result<(i64, Option<u64>), TallyError> {
    if rule.status != RuleStatus::Active {
        return Err(TallyError::RuleInactive(rule.id));
    }
    check_enrolled(customer)?;
    if let Some(tier) = &rule.vip_tier {
        if !customer.vip_tier.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(tier)) {
            return Err(TallyError::TierRestricted(tier.clone()));
        }
    }
    let variant = match rule.reward_type {
        RewardType::FreeProduct => {
            let variant = request.variant_id.ok_or(TallyError::VariantRequired)?;
            if !rule.variant_ids.is_empty() && !rule.variant_ids.contains(&variant) {
                return Err(TallyError::invalid(format!(
                    "variant {variant} is not one this reward offers; choose one of {:?}",
                    rule.variant_ids
                )));
            }
            Some(variant)
        }
        _ => None,
    };
    if request.delay_points_deduction && rule.reward_type == RewardType::StoreCredit {
        return Err(TallyError::invalid("store credit is delivered at once; delayPointsDeduction does not apply"));
    }
    if let Some(points) = request.points {
        if points != rule.points_cost {
            return Err(TallyError::invalid(format!("this reward costs {} points, not {points}", rule.points_cost)));
        }
    }
    if customer.available_points < rule.points_cost {
        return Err(TallyError::InsufficientPoints {
            available: customer.available_points,
            required: rule.points_cost,
        });
    }
    Ok((rule.points_cost, variant))
}

/// A customer whose points may move: enrolled and not excluded.
pub fn check_enrolled(customer: &Customer) -> Result<(), TallyError> {
    match customer.status {
        CustomerStatus::Active => Ok(()),
        CustomerStatus::Inactive => Err(TallyError::CustomerNotEnrolled),
        CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer => Err(TallyError::CustomerExcluded),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::rule::CombinesWith;

    fn rule(kind: RewardType) -> RedeemRule {
        RedeemRule {
            id: 5,
            name: "reward".into(),
            status: RuleStatus::Active,
            reward_type: kind,
            points_cost: 500,
            discount_value: None,
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        }
    }

    fn customer(points: i64) -> Customer {
        Customer {
            customer_id: 7,
            email: None,
            phone: None,
            vip_tier: Some("Gold".into()),
            status: CustomerStatus::Active,
            available_points: points,
            credited_points: points,
            spent_points: 0,
            reserved_points: 0,
            version: 1,
            seq: 1,
            created_at: String::new(),
            updated_at: String::new(),
        }
    }

    fn request(json: &str) -> RedeemRequest {
        RedeemRequest::parse(json.as_bytes()).unwrap()
    }

    fn code(result: Result<impl std::fmt::Debug, TallyError>) -> &'static str {
        result.unwrap_err().code()
    }

    #[test]
    fn the_customer_is_named_exactly_once() {
        let err = |body: &str| RedeemRequest::parse(body.as_bytes()).unwrap_err().to_string();
        assert!(err(r#"{"redeemRuleId": 5}"#).contains("required"));
        assert!(err(r#"{"customerId": 1, "customerEmail": "a@b.co", "redeemRuleId": 5}"#).contains("not both"));
        assert!(err(r#"{"customerId": 1}"#).contains("redeemRuleId"));
        assert!(err(r#"{"customerId": 1, "redeemRuleId": 5, "points": 1.5}"#).contains("whole"));
        assert!(err(r#"{"customerId": 1, "redeemRuleId": 5, "bonus": 1}"#).contains("unknown field"));
        assert_eq!(
            request(r#"{"customerEmail": "A@B.co", "redeemRuleId": 5}"#).customer,
            CustomerRef::Email("a@b.co".into())
        );
    }

    #[test]
    fn checks_come_in_the_documented_order() {
        let mut inactive = rule(RewardType::FreeProduct);
        inactive.status = RuleStatus::Inactive;
        let mut excluded = customer(0);
        excluded.status = CustomerStatus::Excluded;
        let mut unenrolled = customer(1000);
        unenrolled.status = CustomerStatus::Inactive;
        let plain = request(r#"{"customerId": 7, "redeemRuleId": 5}"#);
        assert_eq!(code(check(&inactive, &excluded, &plain)), "RULE_INACTIVE");
        assert_eq!(code(check(&rule(RewardType::FreeProduct), &excluded, &plain)), "CUSTOMER_EXCLUDED");
        assert_eq!(code(check(&rule(RewardType::FreeProduct), &unenrolled, &plain)), "CUSTOMER_NOT_ENROLLED");
        assert_eq!(code(check(&rule(RewardType::FreeProduct), &customer(0), &plain)), "VARIANT_REQUIRED");
        assert_eq!(code(check(&rule(RewardType::FixedAmount), &customer(499), &plain)), "INSUFFICIENT_POINTS");
        let wrong_points = request(r#"{"customerId": 7, "redeemRuleId": 5, "points": 400}"#);
        assert_eq!(code(check(&rule(RewardType::FixedAmount), &customer(1000), &wrong_points)), "INVALID_REQUEST");
    }

    #[test]
    fn a_redemption_that_passes_costs_the_rule_price() {
        let mut product = rule(RewardType::FreeProduct);
        product.variant_ids = vec![11, 12];
        let chosen = request(r#"{"customerId": 7, "redeemRuleId": 5, "variantId": 12, "points": 500.0}"#);
        assert_eq!(check(&product, &customer(500), &chosen).unwrap(), (500, Some(12)));
        let other = request(r#"{"customerId": 7, "redeemRuleId": 5, "variantId": 13}"#);
        assert_eq!(code(check(&product, &customer(500), &other)), "INVALID_REQUEST");
        let mut gold_only = rule(RewardType::FreeShipping);
        gold_only.vip_tier = Some("Platinum".into());
        assert_eq!(code(check(&gold_only, &customer(500), &chosen)), "TIER_RESTRICTED");
    }
}
