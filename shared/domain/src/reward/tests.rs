use time::macros::datetime;

use super::*;
use crate::ids::OrderId;
use crate::ledger::{LedgerKind, LotChange};
use crate::order::Order;
use crate::rule::{CombinesWith, RuleStatus};
use crate::shop::Access;

const AT: Time = datetime!(2026-11-01 0:00 UTC);

fn rule(kind: RewardType, value: Option<Decimal>) -> RedeemRule {
    RedeemRule {
        id: RuleId::new(1).unwrap(),
        name: "$5 off".into(),
        status: RuleStatus::Active,
        reward_type: kind,
        points_cost: 100,
        variable: None,
        discount_value: value,
        minimum_subtotal: Some(Decimal::new(2500, 2)),
        expires_after_days: Some(30),
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

fn reward_of(kind: RewardType, mode: DeductionMode) -> Reward {
    let shop = Shop::new("s.myshopify.com", Access::StaticToken, AT).unwrap();
    let rule = rule(kind, Some(Decimal::new(500, 2)));
    let drawn = (RewardId::from_entropy(77), "TALLY-ABCDEFGHJK".to_string());
    let customer = CustomerId::new(1).unwrap();
    let mut reward = Reward::pending(&shop, customer, &rule, &Priced::at_cost(&rule), None, mode, AT, drawn);
    reward.lots = vec![Lot { points: 100, expires_at: None }];
    // Listed, as the journal's job leaves it (`a_redeemed_reward_is_listed_only_once_its_journal_is_read`).
    reward.journaled = false;
    reward
}

fn reward(mode: DeductionMode) -> Reward {
    reward_of(RewardType::FixedAmount, mode)
}

fn after(change: Result<RewardChange, impl std::fmt::Debug>) -> Reward {
    change.unwrap().reward
}

fn order(id: u64) -> Order {
    Order { id: OrderId::new(id).unwrap(), name: format!("#{id}"), codes: vec![] }
}

fn unused(mode: DeductionMode) -> Reward {
    after(reward(mode).issued("gid://shopify/DiscountCodeNode/1", AT))
}

#[test]
fn a_new_reward_is_pending_listed_for_reconciliation_and_costs_its_rule() {
    let pending = reward(DeductionMode::Immediate);
    assert_eq!((pending.status(), pending.listing()), (RewardStatus::Pending, Some(Listing::Pending(AT))));
    assert_eq!((pending.points_redeemed, pending.amount), (100, Some(Decimal::new(500, 2))));
    assert_eq!(pending.expire_date, Some(datetime!(2026-12-01 0:00 UTC)));
    assert_eq!(pending.payment().kind, LedgerKind::Redeem);
    assert_eq!(reward(DeductionMode::OnOrder).payment().kind, LedgerKind::Reserve);
    let credit = reward_of(RewardType::StoreCredit, DeductionMode::Immediate);
    assert_eq!((credit.discount_code, credit.reward_type), (None, RewardKind::StoreCredit));
}

#[test]
fn a_redeemed_reward_is_listed_only_once_its_journal_is_read() {
    let shop = Shop::new("s.myshopify.com", Access::StaticToken, AT).unwrap();
    let rule = rule(RewardType::FixedAmount, Some(Decimal::new(500, 2)));
    let drawn = (RewardId::from_entropy(77), "TALLY-ABCDEFGHJK".to_string());
    let customer = CustomerId::new(1).unwrap();
    let new =
        Reward::pending(&shop, customer, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, AT, drawn);
    assert!(new.journaled);
    assert_eq!(new.listing(), None, "a redemption writes no listing");
    let issued = after(new.issued("gid://shopify/DiscountCodeNode/1", AT));
    assert_eq!((issued.status(), issued.listing()), (RewardStatus::Unused, None), "nor does its outcome");
    let put_off = after(issued.put_off(datetime!(2026-12-01 0:00 UTC), time::Duration::HOUR));
    let listed = after(put_off.listed());
    assert_eq!((listed.journaled, listed.version, &listed.state), (false, put_off.version + 1, &put_off.state));
    let end = datetime!(2026-12-01 1:00 UTC);
    assert_eq!(listed.listing(), Some(Listing::Expiring(end)), "by its end, its visit still put off");
    assert_eq!(listed.listed(), Err(NotApplicable(RewardStatus::Unused)), "listed once");
    let used = after(issued.used_by(&order(9), AT, 0));
    assert_eq!(used.listed(), Err(NotApplicable(RewardStatus::Used)), "a used reward is never listed again");
}

#[test]
fn issued_a_code_is_unused_and_listed_by_its_end_and_store_credit_is_used() {
    let code = unused(DeductionMode::Immediate);
    assert_eq!((code.status(), code.version), (RewardStatus::Unused, 1));
    assert_eq!(code.listing(), Some(Listing::Expiring(datetime!(2026-12-01 0:00 UTC))));
    assert_eq!(code.discount_code_id.as_deref(), Some("gid://shopify/DiscountCodeNode/1"));
    let credit = after(reward_of(RewardType::StoreCredit, DeductionMode::Immediate).issued("gid://t/1", AT));
    assert_eq!((credit.status(), credit.listing(), credit.order()), (RewardStatus::Used, None, None));
    assert_eq!(code.issued("again", AT), Err(NotApplicable(RewardStatus::Unused)), "only a pending reward is issued");
}

#[test]
fn a_failed_reward_gives_its_points_back_to_their_lots_once() {
    let change = reward(DeductionMode::Immediate).failed(FailureReason::ShopifyRefused).unwrap();
    let back = change.balance.clone().unwrap();
    assert_eq!((back.kind, back.available, back.spent), (LedgerKind::RedeemReversed, 100, -100));
    assert_eq!(back.lots, LotChange::Return(vec![Lot { points: 100, expires_at: None }]));
    assert!(change.reward.points_returned() && change.reward.listing().is_none());
    assert!(change.reward.failed(FailureReason::ShopifyRefused).is_err(), "once");
    let reserved = reward(DeductionMode::OnOrder).failed(FailureReason::NeverCreated).unwrap().balance.unwrap();
    assert_eq!((reserved.kind, reserved.reserved), (LedgerKind::ReservationReleased, -100));
}

#[test]
fn review_holds_a_pending_reward_out_of_reconciliation_until_an_operator_decides() {
    let held = after(reward(DeductionMode::Immediate).held_for_review(ReviewReason::StoreCreditUnconfirmed));
    assert_eq!((held.status(), held.listing()), (RewardStatus::Pending, Some(Listing::Review(AT))));
    assert!(held.held_for_review(ReviewReason::StoreCreditUnconfirmed).is_err());
    assert!(held.issued("gid://t/1", AT).is_ok() && held.failed(FailureReason::NotIssued).is_ok());
}

#[test]
fn an_order_uses_an_unused_or_pending_reward_and_pays_a_reservation() {
    let immediate = unused(DeductionMode::Immediate).used_by(&order(5), AT, 0).unwrap();
    assert_eq!((immediate.reward.status(), immediate.balance), (RewardStatus::Used, None));
    assert_eq!(immediate.reward.order().map(|o| o.id.get()), Some(5));
    let delayed = unused(DeductionMode::OnOrder).used_by(&order(5), AT, 0).unwrap();
    let paid = delayed.balance.unwrap();
    assert_eq!(
        (paid.kind, paid.reserved, paid.order_id.map(OrderId::get)),
        (LedgerKind::ReservationSpent, -100, Some(5))
    );
    assert!(
        reward(DeductionMode::Immediate).used_by(&order(5), AT, 0).is_ok(),
        "Shopify issued it, Tally not yet told"
    );
    assert!(immediate.reward.used_by(&order(6), AT, 0).is_err(), "used once");
}

#[test]
fn an_order_after_the_points_went_back_takes_them_again_as_far_as_the_balance_goes() {
    let refunded = after(unused(DeductionMode::Immediate).refund_finished(AT, "refunded unused"));
    let late = refunded.used_by(&order(9), AT, 60).unwrap();
    let again = late.balance.unwrap();
    assert_eq!((again.kind, again.available), (LedgerKind::LateUse, -60));
    assert!(matches!(&late.reward.state, RewardState::Used(Usage { taken_late: Some(60), .. })));
    let kept = after(unused(DeductionMode::Immediate).expired(false)).used_by(&order(9), AT, 500).unwrap();
    assert_eq!(kept.balance, None, "an expiry that kept the points takes none again");
    // A reward that failed, its code made in Shopify after all: an order using it takes the points too.
    let failed = after(reward(DeductionMode::Immediate).failed(FailureReason::ShopifyUnavailable));
    let used = failed.used_by(&order(9), AT, 500).unwrap();
    assert_eq!(used.balance.map(|b| (b.kind, b.available)), Some((LedgerKind::LateUse, -failed.points_redeemed)));
    let broke = refunded.used_by(&order(9), AT, 0).unwrap();
    assert!(
        broke.balance.is_none() && matches!(&broke.reward.state, RewardState::Used(Usage { taken_late: Some(0), .. }))
    );
}

#[test]
fn a_cancelled_order_returns_the_points_of_the_rewards_it_used_once_and_only_its_own() {
    let used = after(unused(DeductionMode::Immediate).used_by(&order(5), AT, 0));
    assert!(used.order_cancelled(&order(6), CancelReason::Cancelled).is_err(), "another order's reward");
    let change = used.order_cancelled(&order(5), CancelReason::Cancelled).unwrap();
    let back = change.balance.clone().unwrap();
    assert_eq!(
        (back.kind, back.available, back.reason.as_str()),
        (LedgerKind::RedeemReversed, 100, "order #5 cancelled")
    );
    assert_eq!(change.reward.order().map(|o| o.name.as_str()), Some("#5"), "the order is kept");
    assert!(change.reward.order_cancelled(&order(5), CancelReason::Cancelled).is_err(), "once");
    let late = after(after(unused(DeductionMode::Immediate).refund_finished(AT, "x")).used_by(&order(5), AT, 40));
    let returned = late.order_cancelled(&order(5), CancelReason::Refunded).unwrap().balance.unwrap();
    assert_eq!((returned.available, returned.lots), (40, LotChange::Return(vec![])), "what was taken late");
}

#[test]
fn a_refund_begins_on_an_unused_reward_before_its_end_and_one_at_a_time() {
    let code = unused(DeductionMode::Immediate);
    let begun = after(code.refund_begun("goodwill", AT, AT - time::Duration::SECOND * 30));
    assert_eq!(begun.listing(), Some(Listing::Refunding(AT)));
    let soon = AT + time::Duration::SECOND;
    assert_eq!(begun.refund_begun("again", soon, soon - time::Duration::SECOND * 30), Err(RefundRefused::InProgress));
    let later = AT + time::Duration::MINUTE;
    assert!(
        begun.refund_begun("taken over", later, later - time::Duration::SECOND * 30).is_ok(),
        "a stale one is taken over"
    );
    let end = code.expire_date.unwrap();
    assert_eq!(code.refund_begun("late", end, end), Err(NotRefundable::PastItsEnd(end).into()));
    let used = after(code.used_by(&order(1), AT, 0));
    assert_eq!(used.refund_begun("x", AT, AT), Err(NotRefundable::Used.into()));
    let finished = begun.refund_finished(AT, "default").unwrap();
    assert_eq!(finished.balance.unwrap().reason, "goodwill", "the shop's reason");
    let abandoned = after(begun.refund_abandoned(AT));
    assert_eq!((abandoned.refund_request(), abandoned.listing()), (None, code.listing()));
    assert!(begun.refund_abandoned(AT + time::Duration::SECOND).is_err(), "only the request it began");
}

#[test]
fn expiry_releases_a_reservation_and_returns_points_only_when_the_shop_says() {
    let kept = unused(DeductionMode::Immediate).expired(false).unwrap();
    assert_eq!(
        (kept.reward.status(), kept.balance, kept.reward.points_returned()),
        (RewardStatus::Expired, None, false)
    );
    assert!(unused(DeductionMode::Immediate).expired(true).unwrap().reward.points_returned());
    let released = unused(DeductionMode::OnOrder).expired(false).unwrap().balance.unwrap();
    assert_eq!(released.kind, LedgerKind::ReservationReleased);
    assert!(reward(DeductionMode::Immediate).expired(true).is_err(), "only an unused reward expires");
}

#[test]
fn each_change_is_decided_on_a_version_and_bumps_it() {
    let change = reward(DeductionMode::Immediate).issued("gid://1", AT).unwrap();
    assert_eq!((change.read_version, change.reward.version, change.from), (0, 1, &[RewardStatus::Pending][..]));
}

#[test]
fn only_an_unused_reward_before_its_end_is_refundable() {
    let now = Some(datetime!(2026-11-20 0:00 UTC));
    assert!(unused(DeductionMode::Immediate).refundable(now).is_ok());
    let ended = Reward { expire_date: Some(datetime!(2026-11-19 0:00 UTC)), ..unused(DeductionMode::Immediate) };
    assert_eq!(ended.refundable(now), Err(NotRefundable::PastItsEnd(datetime!(2026-11-19 0:00 UTC))));
    assert!(ended.refundable(None).is_ok(), "without a clock, no end");
    assert_eq!(reward(DeductionMode::Immediate).refundable(now), Err(NotRefundable::Pending));
}

#[test]
fn each_reward_type_asks_shopify_for_its_own_kind_of_discount() {
    let Issuance::Discount(fixed) = reward(DeductionMode::Immediate).issuance(&rule(RewardType::FixedAmount, None))
    else {
        panic!("a discount")
    };
    assert_eq!(
        (fixed.code.as_str(), fixed.value.clone()),
        ("TALLY-ABCDEFGHJK", DiscountValue::AmountOff(Decimal::new(500, 2)))
    );
    assert_eq!(
        (fixed.title.as_str(), fixed.ends_at),
        ("$5 off (TALLY-ABCDEFGHJK)", Some(datetime!(2026-12-01 0:00 UTC)))
    );
    let percent = rule(RewardType::Percentage, Some(Decimal::new(15, 0)));
    let Issuance::Discount(spec) = reward_of(RewardType::Percentage, DeductionMode::Immediate).issuance(&percent)
    else {
        panic!("a discount")
    };
    assert_eq!(spec.value, DiscountValue::Percentage(Decimal::new(15, 2)));
    let credit = reward_of(RewardType::StoreCredit, DeductionMode::Immediate);
    assert!(matches!(credit.issuance(&rule(RewardType::StoreCredit, None)), Issuance::StoreCredit(_)));
    let product = reward_of(RewardType::FreeProduct, DeductionMode::Immediate);
    assert_eq!(product.issuance(&rule(RewardType::FreeProduct, None)), Issuance::Impossible(FailureReason::NoAmount));
}
