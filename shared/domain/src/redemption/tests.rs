use time::macros::datetime;

use super::*;
use crate::customer::{CustomerStatus, Enrollment};
use crate::ids::CustomerId;
use crate::ledger::BalanceChange;
use crate::points::Number;
use crate::rule::CombinesWith;

const NOW: Time = datetime!(2026-11-01 0:00 UTC);

fn id(n: u64) -> RuleId {
    RuleId::new(n).unwrap()
}

fn variant(n: u64) -> VariantId {
    VariantId::new(n).unwrap()
}

fn rule(kind: RewardType) -> RedeemRule {
    RedeemRule {
        id: id(5),
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
    let enrolled =
        Enrollment::new(7, "a@b.co", None, None, Some("Gold")).unwrap().apply(None, Time::UNIX_EPOCH).unwrap().0;
    match points {
        0 => enrolled,
        points => enrolled.apply(&BalanceChange::adjust(points, "given"), Time::UNIX_EPOCH).unwrap().customer,
    }
}

fn command(points: Option<i64>, variant_id: Option<u64>) -> RedeemCommand {
    RedeemCommand {
        customer: CustomerRef::Id(CustomerId::new(7).unwrap()),
        redeem_rule_id: id(5),
        points: points.map(|p| Points::new("points", Number::Integer(p)).unwrap()),
        variant_id: variant_id.map(variant),
        delay_points_deduction: false,
    }
}

fn refused(result: Result<Priced, Refused>) -> Refused {
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
    assert_eq!(refused(check(&inactive, &excluded, &plain, NOW)), Refused::RuleInactive(id(5)));
    assert_eq!(refused(check(&rule(RewardType::FreeProduct), &excluded, &plain, NOW)), Refused::Excluded);
    assert_eq!(refused(check(&rule(RewardType::FreeProduct), &unenrolled, &plain, NOW)), Refused::NotEnrolled);
    assert_eq!(refused(check(&rule(RewardType::FreeProduct), &customer(0), &plain, NOW)), Refused::VariantRequired);
    let short = refused(check(&rule(RewardType::FixedAmount), &customer(499), &plain, NOW));
    assert_eq!(short, Refused::InsufficientPoints { available: 499, required: 500 });
    let wrong_points = refused(check(&rule(RewardType::FixedAmount), &customer(1000), &command(Some(400), None), NOW));
    assert_eq!(wrong_points, Refused::PointsNotTheCost { cost: 500, points: 400 });
}

#[test]
fn a_redemption_that_passes_costs_the_rule_price() {
    let mut product = rule(RewardType::FreeProduct);
    product.variant_ids = vec![variant(11), variant(12)];
    assert_eq!(check(&product, &customer(500), &command(Some(500), Some(12)), NOW).unwrap().variant, Some(variant(12)));
    let other = refused(check(&product, &customer(500), &command(None, Some(13)), NOW));
    assert!(matches!(other, Refused::VariantNotOffered { variant: v, .. } if v == variant(13)));
    let mut platinum_only = rule(RewardType::FreeShipping);
    platinum_only.vip_tier = Some("Platinum".into());
    let restricted = refused(check(&platinum_only, &customer(500), &command(None, None), NOW));
    assert_eq!(restricted, Refused::TierRestricted("Platinum".into()));
    let mut gold_only = rule(RewardType::FreeShipping);
    gold_only.vip_tier = Some("gold".into());
    assert!(check(&gold_only, &customer(500), &command(None, None), NOW).is_ok(), "tiers match without case");
}

#[test]
fn points_past_their_time_do_not_buy_anything() {
    let soon = datetime!(2026-12-01 0:00 UTC);
    let given = BalanceChange::adjust(500, "given").expiring(Some(soon));
    let holder = customer(0).apply(&given, Time::UNIX_EPOCH).unwrap().customer;
    assert!(check(&rule(RewardType::FixedAmount), &holder, &command(None, None), soon - time::Duration::SECOND).is_ok());
    let after = refused(check(&rule(RewardType::FixedAmount), &holder, &command(None, None), soon));
    assert_eq!(after, Refused::InsufficientPoints { available: 0, required: 500 });
    let seen = options(&holder, vec![rule(RewardType::FixedAmount)], soon);
    assert_eq!(seen[0].blocked, Some(Refused::InsufficientPoints { available: 0, required: 500 }));
}

#[test]
fn options_say_why_a_rule_cannot_be_taken_in_the_order_a_redemption_would() {
    let cheap = RedeemRule { id: id(1), points_cost: 100, ..rule(RewardType::FixedAmount) };
    let dear = RedeemRule { id: id(2), points_cost: 900, ..rule(RewardType::FixedAmount) };
    let platinum = RedeemRule { id: id(3), vip_tier: Some("Platinum".into()), ..rule(RewardType::FreeShipping) };
    let retired = RedeemRule { id: id(4), status: RuleStatus::Inactive, ..rule(RewardType::FreeShipping) };
    let all = vec![dear.clone(), platinum.clone(), cheap.clone(), retired];
    let seen: Vec<(RuleId, Option<Refused>)> =
        options(&customer(500), all.clone(), NOW).into_iter().map(|o| (o.rule.id, o.blocked)).collect();
    assert_eq!(
        seen,
        [
            (id(1), None),
            (id(3), Some(Refused::TierRestricted("Platinum".into()))),
            (id(2), Some(Refused::InsufficientPoints { available: 500, required: 900 }))
        ],
        "active rules only, cheapest first"
    );
    let mut excluded = customer(5000);
    excluded.status = CustomerStatus::Excluded;
    assert!(options(&excluded, all.clone(), NOW).iter().all(|o| o.blocked == Some(Refused::Excluded)));
    let mut left = customer(5000);
    left.status = CustomerStatus::Inactive;
    assert!(options(&left, all, NOW).iter().all(|o| o.blocked == Some(Refused::NotEnrolled)));
}

#[test]
fn store_credit_cannot_wait_for_an_order() {
    let mut delayed = command(None, None);
    delayed.delay_points_deduction = true;
    let mut credit = rule(RewardType::StoreCredit);
    credit.discount_value = Some(rust_decimal::Decimal::TEN);
    assert_eq!(refused(check(&credit, &customer(500), &delayed, NOW)), Refused::DelayedStoreCredit);
    assert!(check(&rule(RewardType::FixedAmount), &customer(500), &delayed, NOW).is_ok());
}
