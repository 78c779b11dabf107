//! What a redemption asks for, and the checks it must pass before any point moves.

use super::customer::{Customer, CustomerRef};
use super::error::Refused;
use super::ids::{RuleId, VariantId};
use super::points::Points;
use super::rule::{Priced, RedeemRule, RewardType, RuleStatus};
use super::Time;

/// A customer's request to turn points into a reward.
#[derive(Debug, Clone, PartialEq)]
pub struct RedeemCommand {
    pub customer: CustomerRef,
    pub redeem_rule_id: RuleId,
    /// What the customer pays: a fixed rule's cost (optional), or their choice within a variable rule's range.
    pub points: Option<Points>,
    pub variant_id: Option<VariantId>,
    /// Reserve the points now, spend them when the order that uses the code arrives (Yotpo's option).
    pub delay_points_deduction: bool,
}

/// Everything a redemption must satisfy at `now` before points move, in the order clients are told about
/// them. Points whose lot has expired by `now` do not count.
pub fn check(rule: &RedeemRule, customer: &Customer, command: &RedeemCommand, now: Time) -> Result<Priced, Refused> {
    if rule.status != RuleStatus::Active {
        return Err(Refused::RuleInactive(rule.id));
    }
    customer.check_enrolled()?;
    check_tier(rule, customer)?;
    let variant = match rule.reward_type {
        RewardType::FreeProduct => {
            let variant = command.variant_id.ok_or(Refused::VariantRequired)?;
            if !rule.variant_ids.is_empty() && !rule.variant_ids.contains(&variant) {
                return Err(Refused::VariantNotOffered { variant, offered: rule.variant_ids.clone() });
            }
            Some(variant)
        }
        _ => None,
    };
    if command.delay_points_deduction && rule.reward_type == RewardType::StoreCredit {
        return Err(Refused::DelayedStoreCredit);
    }
    let (points, value) = rule.price(command.points.map(Points::get)).map_err(Refused::from)?;
    let available = customer.available_at(now);
    if available < points {
        return Err(Refused::InsufficientPoints { available, required: points });
    }
    Ok(Priced { points, value, variant })
}

/// A rule reserved for a VIP tier is the tier's only (tiers compare without case).
fn check_tier(rule: &RedeemRule, customer: &Customer) -> Result<(), Refused> {
    match &rule.vip_tier {
        Some(tier) if !customer.vip_tier.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(tier)) => {
            Err(Refused::TierRestricted(tier.clone()))
        }
        _ => Ok(()),
    }
}

/// A rule as one customer sees it at a time: whether they can take it then and, if not, the refusal a
/// redemption would meet (`NotEnrolled`, `Excluded`, `TierRestricted`, `InsufficientPoints`).
#[derive(Debug, Clone, PartialEq)]
pub struct RedeemOption {
    pub rule: RedeemRule,
    pub blocked: Option<Refused>,
}

/// The active rules as options for this customer at `now`, cheapest first, judged in the order a
/// redemption is.
pub fn options(customer: &Customer, rules: Vec<RedeemRule>, now: Time) -> Vec<RedeemOption> {
    let available = customer.available_at(now);
    let mut options: Vec<RedeemOption> = rules
        .into_iter()
        .filter(|rule| rule.status == RuleStatus::Active)
        .map(|rule| {
            let blocked = match (customer.check_enrolled(), check_tier(&rule, customer)) {
                (Err(refused), _) | (Ok(()), Err(refused)) => Some(refused),
                (Ok(()), Ok(())) if available < rule.points_cost => {
                    Some(Refused::InsufficientPoints { available, required: rule.points_cost })
                }
                (Ok(()), Ok(())) => None,
            };
            RedeemOption { rule, blocked }
        })
        .collect();
    options.sort_by_key(|o| (o.rule.points_cost, o.rule.id));
    options
}

impl From<super::rule::RulePriceError> for Refused {
    fn from(err: super::rule::RulePriceError) -> Self {
        match err {
            super::rule::RulePriceError::OutOfRange(range) => Refused::InvalidPoints(range),
            super::rule::RulePriceError::NotTheCost { cost, points } => Refused::PointsNotTheCost { cost, points },
        }
    }
}

#[cfg(test)]
mod tests;
