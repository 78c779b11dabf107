use rust_decimal::Decimal;
use time::macros::datetime;

use super::*;
use crate::customer::Enrollment;
use crate::ledger::LedgerKind;
use crate::reward::DeductionMode;
use crate::rule::{CombinesWith, Priced, RedeemRule, RuleStatus};
use crate::shop::{Access, Shop};

const AT: Time = datetime!(2026-11-01 0:00 UTC);

fn shop() -> ShopDomain {
    ShopDomain::parse("s.myshopify.com").unwrap()
}

fn entry(kind: LedgerKind, delta: i64) -> LedgerEntry {
    LedgerEntry {
        seq: 4,
        customer_id: CustomerId::new(7).unwrap(),
        kind,
        delta,
        reserved_delta: 0,
        balance_after: 150,
        reason: "because".into(),
        reward_id: None,
        order_id: None,
        at: AT,
    }
}

fn pending_reward() -> Reward {
    let shop = Shop::new("s.myshopify.com", Access::StaticToken, AT).unwrap();
    let rule = RedeemRule {
        id: RuleId::new(1).unwrap(),
        name: "$5 off".into(),
        status: RuleStatus::Active,
        reward_type: RewardType::FixedAmount,
        points_cost: 100,
        variable: None,
        discount_value: Some(Decimal::new(500, 2)),
        minimum_subtotal: None,
        expires_after_days: None,
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    };
    let drawn = (RewardId::from_entropy(77), "TALLY-ABCDEFGHJK".to_string());
    let customer = CustomerId::new(7).unwrap();
    Reward::pending(&shop, customer, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, AT, drawn)
}

#[test]
fn each_ledger_kind_is_its_points_event_or_none_when_a_reward_tells_it() {
    let named = |kind| of_ledger(&shop(), &entry(kind, -10)).map(|e| e.name);
    assert_eq!(named(LedgerKind::Credit), Some(EventName::PointsAdded));
    assert_eq!(named(LedgerKind::Debit), Some(EventName::PointsRemoved));
    assert_eq!(named(LedgerKind::LateUse), Some(EventName::PointsRemoved));
    assert_eq!(named(LedgerKind::PointsExpired), Some(EventName::PointsExpired));
    assert_eq!(named(LedgerKind::RedeemReversed), Some(EventName::PointsReturned));
    assert_eq!(named(LedgerKind::ReservationReleased), Some(EventName::PointsReturned));
    for kind in [LedgerKind::Redeem, LedgerKind::Reserve, LedgerKind::ReservationSpent] {
        assert_eq!(named(kind), None, "{kind}");
    }
}

#[test]
fn a_ledger_event_carries_the_balance_after_and_an_id_made_of_the_entry() {
    let event = of_ledger(&shop(), &entry(LedgerKind::Credit, 50)).unwrap();
    assert_eq!((event.points, event.balance_after, event.kind), (50, Some(150), Some(LedgerKind::Credit)));
    assert_eq!(event.id, format!("s.myshopify.com/7/ledger/4/{}", AT.unix_timestamp()));
    assert_eq!(of_ledger(&shop(), &entry(LedgerKind::Credit, 50)).unwrap().id, event.id, "the same entry, the same id");
}

#[test]
fn a_reward_is_an_event_when_it_reaches_a_status_and_not_when_written_again() {
    let pending = pending_reward();
    assert_eq!(of_reward(None, &pending, AT), None, "a pending reward is not issued yet");
    let issued = pending.issued("gid://shopify/DiscountCodeNode/1", AT).unwrap().reward;
    let event = of_reward(Some(RewardStatus::Pending), &issued, AT).unwrap();
    assert_eq!(event.name, EventName::RewardIssued);
    assert_eq!(event.reward.as_ref().map(|r| (r.points, r.code.as_deref())), Some((100, Some("TALLY-ABCDEFGHJK"))));
    assert_eq!(of_reward(Some(RewardStatus::Unused), &issued, AT), None, "rewritten, not reached");
    assert_eq!(of_reward(None, &issued, AT).map(|e| e.id), Some(event.id), "the id is the status reached");
}

#[test]
fn the_standing_replaces_only_an_older_one() {
    let (mut customer, _) = Enrollment::new(7, "a@b.co", None, None, None).unwrap().apply(None, AT).unwrap();
    customer.version = 3;
    customer.available_points = 40;
    customer.lots = crate::lots::Lots::from_lots([crate::lots::Lot { points: 40, expires_at: Some(AT) }]);
    let standing = Standing::of(&customer);
    assert_eq!(standing.next_expiry, Some(Expiring { points: 40, at: AT }));
    assert!(standing.replaces(None) && standing.replaces(Some(2)));
    assert!(!standing.replaces(Some(3)) && !standing.replaces(Some(4)));
}

#[test]
fn a_notice_is_one_per_customer_and_day_of_expiry() {
    let expiring = Expiring { points: 30, at: datetime!(2026-11-08 0:00 UTC) };
    let customer = CustomerId::new(7).unwrap();
    let first = expiring_soon(&shop(), customer, expiring, AT);
    let again = expiring_soon(&shop(), customer, expiring, datetime!(2026-11-02 0:00 UTC));
    assert_eq!(
        (first.id.as_str(), first.name),
        ("s.myshopify.com/7/expiring/2026-11-08", EventName::PointsExpiringSoon)
    );
    assert_eq!(first.id, again.id);
}
