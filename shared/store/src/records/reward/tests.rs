use tally_domain::ids::RuleId;
use tally_domain::order::Order;
use tally_domain::rule::{CombinesWith, Priced, RedeemRule, RuleStatus};
use tally_domain::shop::{Access, Shop};

use super::*;

fn reward() -> Reward {
    let shop = Shop::new("s.myshopify.com", Access::StaticToken, Time::UNIX_EPOCH).unwrap();
    let rule = RedeemRule {
        id: RuleId::new(1).unwrap(),
        name: "r".into(),
        status: RuleStatus::Active,
        reward_type: RewardType::FixedAmount,
        points_cost: 1,
        variable: None,
        discount_value: Some(Decimal::ONE),
        minimum_subtotal: None,
        expires_after_days: Some(1),
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    };
    let drawn = (RewardId::from_entropy(9), "TALLY-X".into());
    let customer = CustomerId::new(1).unwrap();
    Reward::pending(
        &shop,
        customer,
        &rule,
        &Priced::at_cost(&rule),
        None,
        DeductionMode::OnOrder,
        Time::UNIX_EPOCH,
        drawn,
    )
}

fn round_trip(reward: &Reward) -> Reward {
    let item: super::super::Item = serde_dynamo::to_item(RewardRecord::from(reward)).unwrap();
    Reward::try_from(serde_dynamo::from_item::<_, RewardRecord>(item).unwrap()).unwrap()
}

#[test]
fn every_state_reads_back_as_it_was_written() {
    let pending = reward();
    let held = pending.held_for_review(ReviewReason::StoreCreditUnconfirmed).unwrap().reward;
    let unused = pending.issued("gid://1", Time::UNIX_EPOCH).unwrap().reward;
    let refunding = unused.refund_begun("goodwill", Time::UNIX_EPOCH, Time::UNIX_EPOCH).unwrap().reward;
    let order = Order { id: OrderId::new(5).unwrap(), name: "#5".into(), codes: vec![] };
    let used = unused.used_by(&order, Time::UNIX_EPOCH, 0).unwrap().reward;
    let cancelled = used.order_cancelled(&order, tally_domain::reward::CancelReason::Cancelled).unwrap().reward;
    let refunded = unused.refund_finished(Time::UNIX_EPOCH, "x").unwrap().reward;
    let late = refunded.used_by(&order, Time::UNIX_EPOCH, 1).unwrap().reward;
    let expired = unused.expired(true).unwrap().reward;
    let failed = pending.failed(FailureReason::NeverCreated).unwrap().reward;
    for reward in [pending, held, unused, refunding, used, cancelled, refunded, late, expired, failed] {
        assert_eq!(round_trip(&reward), reward, "{:?}", reward.state);
    }
}

#[test]
fn the_attributes_named_in_expressions_are_the_record_s_and_times_are_text() {
    let record = RewardRecord::from(&reward());
    super::super::check::written_under(&record, &[STATUS, VERSION]);
    let item: super::super::Item = serde_dynamo::to_item(&record).unwrap();
    assert_eq!(item["expireDate"].as_s().unwrap(), "1970-01-02T00:00:00Z");
}

#[test]
fn a_reward_stored_before_versions_and_reason_words_reads_as_it_meant() {
    let mut old = RewardRecord::from(&reward());
    (old.status, old.failure_reason, old.points_returned) =
        (RewardStatus::Failed, Some("Shopify unavailable: HTTP 503".into()), true);
    let item: super::super::Item = serde_dynamo::to_item(&old).unwrap();
    let mut item = item;
    item.remove("version");
    let read = Reward::try_from(serde_dynamo::from_item::<_, RewardRecord>(item).unwrap()).unwrap();
    assert_eq!((read.version, read.state), (0, RewardState::Failed { reason: FailureReason::ShopifyUnavailable }));
}
