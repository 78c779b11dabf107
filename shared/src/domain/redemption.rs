//! What a redemption asks for, and the checks it must pass before any point moves.

use super::customer::{Customer, CustomerRef, CustomerStatus};
use super::error::{Invalid, TallyError};
use super::points::Points;
use super::rule::{Priced, RedeemRule, RewardType, RuleStatus};

/// A customer's request to turn points into a reward.
#[derive(Debug, Clone, PartialEq)]
pub struct RedeemCommand {
    pub customer: CustomerRef,
    pub redeem_rule_id: u64,
    /// What the customer pays: a fixed rule's cost (optional), or their choice within a variable rule's range.
    pub points: Option<Points>,
    pub variant_id: Option<u64>,
    /// Reserve the points now, spend them when the order that uses the code arrives (Yotpo's option).
    pub delay_points_deduction: bool,
}

/// Everything a redemption must satisfy before points move, in the order clients are told about them.
pub fn check(rule: &RedeemRule, customer: &Customer, command: &RedeemCommand) -> Result<Priced, TallyError> {
    if rule.status != RuleStatus::Active {
        return Err(TallyError::RuleInactive(rule.id));
    }
    check_enrolled(customer)?;
    check_tier(rule, customer)?;
    let variant = match rule.reward_type {
        RewardType::FreeProduct => {
            let variant = command.variant_id.ok_or(TallyError::VariantRequired)?;
            if !rule.variant_ids.is_empty() && !rule.variant_ids.contains(&variant) {
                return Err(Invalid::VariantNotOffered { variant, offered: rule.variant_ids.clone() }.into());
            }
            Some(variant)
        }
        _ => None,
    };
    if command.delay_points_deduction && rule.reward_type == RewardType::StoreCredit {
        return Err(Invalid::DelayedStoreCredit.into());
    }
    let (points, value) = rule.price(command.points.map(Points::get))?;
    if customer.available_points < points {
        return Err(TallyError::InsufficientPoints { available: customer.available_points, required: points });
    }
    Ok(Priced { points, value, variant })
}

/// A rule reserved for a VIP tier is the tier's only (tiers compare without case).
fn check_tier(rule: &RedeemRule, customer: &Customer) -> Result<(), TallyError> {
    match &rule.vip_tier {
        Some(tier) if !customer.vip_tier.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(tier)) => {
            Err(TallyError::TierRestricted(tier.clone()))
        }
        _ => Ok(()),
    }
}

/// Why a customer cannot take a rule now, as the storefront tells them before they try.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocked {
    NotEnrolled,
    Excluded,
    /// The rule is reserved for this VIP tier, and the customer is not in it.
    OtherTier(String),
    /// The customer has fewer points than the rule costs.
    PointsShort {
        available: i64,
        required: i64,
    },
}

impl From<&Blocked> for TallyError {
    /// The refusal a redemption would meet.
    fn from(blocked: &Blocked) -> Self {
        match blocked {
            Blocked::NotEnrolled => TallyError::CustomerNotEnrolled,
            Blocked::Excluded => TallyError::CustomerExcluded,
            Blocked::OtherTier(tier) => TallyError::TierRestricted(tier.clone()),
            Blocked::PointsShort { available, required } => {
                TallyError::InsufficientPoints { available: *available, required: *required }
            }
        }
    }
}

/// A rule as one customer sees it: whether they can take it now and, if not, why.
#[derive(Debug, Clone, PartialEq)]
pub struct RedeemOption {
    pub rule: RedeemRule,
    pub blocked: Option<Blocked>,
}

/// The active rules as options for this customer, cheapest first, judged in the order a redemption is.
pub fn options(customer: &Customer, rules: Vec<RedeemRule>) -> Vec<RedeemOption> {
    let mut options: Vec<RedeemOption> = rules
        .into_iter()
        .filter(|rule| rule.status == RuleStatus::Active)
        .map(|rule| {
            let blocked = match (check_enrolled(customer), check_tier(&rule, customer)) {
                (Err(TallyError::CustomerExcluded), _) => Some(Blocked::Excluded),
                (Err(_), _) => Some(Blocked::NotEnrolled),
                (Ok(()), Err(_)) => rule.vip_tier.clone().map(Blocked::OtherTier),
                (Ok(()), Ok(())) if customer.available_points < rule.points_cost => {
                    Some(Blocked::PointsShort { available: customer.available_points, required: rule.points_cost })
                }
                (Ok(()), Ok(())) => None,
            };
            RedeemOption { rule, blocked }
        })
        .collect();
    options.sort_by_key(|o| (o.rule.points_cost, o.rule.id));
    options
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
    use crate::domain::customer::Enrollment;
    use crate::domain::points::Number;
    use crate::domain::rule::CombinesWith;
    use crate::domain::Time;

    fn rule(kind: RewardType) -> RedeemRule {
        RedeemRule {
            id: 5,
            name: "reward".into(),
            status: RuleStatus::Active,
            reward_type: kind,
            points_cost: 500,
            variable: None,
            discount_value: None,
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        }
    }

    fn customer(points: i64) -> Customer {
        let enrollment = Enrollment {
            customer_id: 7,
            email: "a@b.co".into(),
            phone: None,
            external_id: None,
            vip_tier: Some("Gold".into()),
        };
        Customer { available_points: points, ..Customer::enrolled(enrollment, Time::UNIX_EPOCH) }
    }

    fn command(points: Option<i64>, variant_id: Option<u64>) -> RedeemCommand {
        RedeemCommand {
            customer: CustomerRef::Id(7),
            redeem_rule_id: 5,
            points: points.map(|p| Points::new("points", Number::Integer(p)).unwrap()),
            variant_id,
            delay_points_deduction: false,
        }
    }

    fn refused(result: Result<impl std::fmt::Debug, TallyError>) -> TallyError {
        result.unwrap_err()
    }

    #[test]
    fn checks_come_in_the_documented_order() {
        let mut inactive = rule(RewardType::FreeProduct);
        inactive.status = RuleStatus::Inactive;
        let mut excluded = customer(0);
        excluded.status = CustomerStatus::Excluded;
        let mut unenrolled = customer(1000);
        unenrolled.status = CustomerStatus::Inactive;
        let plain = command(None, None);
        assert!(matches!(refused(check(&inactive, &excluded, &plain)), TallyError::RuleInactive(5)));
        assert!(matches!(
            refused(check(&rule(RewardType::FreeProduct), &excluded, &plain)),
            TallyError::CustomerExcluded
        ));
        let not_enrolled = refused(check(&rule(RewardType::FreeProduct), &unenrolled, &plain));
        assert!(matches!(not_enrolled, TallyError::CustomerNotEnrolled));
        assert!(matches!(
            refused(check(&rule(RewardType::FreeProduct), &customer(0), &plain)),
            TallyError::VariantRequired
        ));
        let short = refused(check(&rule(RewardType::FixedAmount), &customer(499), &plain));
        assert!(matches!(short, TallyError::InsufficientPoints { available: 499, required: 500 }));
        let wrong_points = refused(check(&rule(RewardType::FixedAmount), &customer(1000), &command(Some(400), None)));
        assert!(matches!(
            wrong_points,
            TallyError::InvalidRequest(Invalid::PointsNotTheCost { cost: 500, points: 400 })
        ));
    }

    #[test]
    fn a_redemption_that_passes_costs_the_rule_price() {
        let mut product = rule(RewardType::FreeProduct);
        product.variant_ids = vec![11, 12];
        assert_eq!(check(&product, &customer(500), &command(Some(500), Some(12))).unwrap().variant, Some(12));
        let other = refused(check(&product, &customer(500), &command(None, Some(13))));
        assert!(matches!(other, TallyError::InvalidRequest(Invalid::VariantNotOffered { variant: 13, .. })));
        let mut platinum_only = rule(RewardType::FreeShipping);
        platinum_only.vip_tier = Some("Platinum".into());
        let restricted = refused(check(&platinum_only, &customer(500), &command(None, None)));
        assert!(matches!(restricted, TallyError::TierRestricted(tier) if tier == "Platinum"));
        let mut gold_only = rule(RewardType::FreeShipping);
        gold_only.vip_tier = Some("gold".into());
        assert!(check(&gold_only, &customer(500), &command(None, None)).is_ok(), "tiers match without case");
    }

    #[test]
    fn options_say_why_a_rule_cannot_be_taken_in_the_order_a_redemption_would() {
        let cheap = RedeemRule { id: 1, points_cost: 100, ..rule(RewardType::FixedAmount) };
        let dear = RedeemRule { id: 2, points_cost: 900, ..rule(RewardType::FixedAmount) };
        let platinum = RedeemRule { id: 3, vip_tier: Some("Platinum".into()), ..rule(RewardType::FreeShipping) };
        let retired = RedeemRule { id: 4, status: RuleStatus::Inactive, ..rule(RewardType::FreeShipping) };
        let all = vec![dear.clone(), platinum.clone(), cheap.clone(), retired];
        let seen: Vec<(u64, Option<Blocked>)> =
            options(&customer(500), all.clone()).into_iter().map(|o| (o.rule.id, o.blocked)).collect();
        assert_eq!(
            seen,
            [
                (1, None),
                (3, Some(Blocked::OtherTier("Platinum".into()))),
                (2, Some(Blocked::PointsShort { available: 500, required: 900 }))
            ],
            "active rules only, cheapest first"
        );
        let mut excluded = customer(5000);
        excluded.status = CustomerStatus::Excluded;
        assert!(options(&excluded, all.clone()).iter().all(|o| o.blocked == Some(Blocked::Excluded)));
        let mut left = customer(5000);
        left.status = CustomerStatus::Inactive;
        assert!(options(&left, all).iter().all(|o| o.blocked == Some(Blocked::NotEnrolled)));
    }

    #[test]
    fn store_credit_cannot_wait_for_an_order() {
        let mut delayed = command(None, None);
        delayed.delay_points_deduction = true;
        let mut credit = rule(RewardType::StoreCredit);
        credit.discount_value = Some(rust_decimal::Decimal::TEN);
        let refused = refused(check(&credit, &customer(500), &delayed));
        assert!(matches!(refused, TallyError::InvalidRequest(Invalid::DelayedStoreCredit)));
        assert!(check(&rule(RewardType::FixedAmount), &customer(500), &delayed).is_ok());
    }
}
