//! A customer's rewards in the order they were made, as the loyalty information and the rewards pages give
//! them: the newest read by a bounded query, and the rewards saved before ids told their time (at the keys
//! of that time, in a record that kept no tally) counted once by the migration, then listed after the
//! newer ones. The same scenario over DynamoDB Local and the in-memory store.

use tally_app::fakes::{FakeShopify, FakeStore};
use tally_app::ports::store::{Customers, ShopRecords, Writes};
use tally_app::ports::write::NewCode;
use tally_app::ports::{Committed, CustomerWrite, RewardWrite, Store, Write};
use tally_app::{loyalty, tally, Deps};
use tally_domain::customer::{Customer, CustomerRef, Enrollment};
use tally_domain::ids::{CustomerId, RewardId, RuleId};
use tally_domain::ledger::BalanceChange;
use tally_domain::loyalty::RewardPosition;
use tally_domain::reward::{DeductionMode, Reward};
use tally_domain::rule::{CombinesWith, Priced, RedeemRule, RewardType, RuleStatus};
use tally_domain::shop::{Access, Shop, ShopSecrets};
use tally_domain::Time;
use tally_tests::{fresh_store, now};

const CUSTOMER: u64 = 41;

fn id() -> CustomerId {
    CustomerId::new(CUSTOMER).unwrap()
}

fn rule() -> RedeemRule {
    RedeemRule {
        id: RuleId::FIRST,
        name: "r".into(),
        status: RuleStatus::Active,
        reward_type: RewardType::FixedAmount,
        points_cost: 10,
        variable: None,
        discount_value: Some("1".parse().unwrap()),
        minimum_subtotal: None,
        expires_after_days: None,
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

/// Takes a reward's points and records it, made at `at` with `reward_id`.
async fn redeem<S: Store>(deps: &Deps<S, FakeShopify>, shop: &Shop, at: Time, reward_id: RewardId) -> Reward {
    let rule = rule();
    let code = deps.draw_code("T-");
    let priced = Priced::at_cost(&rule);
    let reward =
        Reward::pending(shop, id(), &rule, &priced, None, DeductionMode::Immediate, at, (reward_id, code.clone()));
    let table = deps.store.shop(&shop.domain);
    let customer = table.customer(id()).await.unwrap().unwrap();
    let applied = customer.apply(&reward.payment(), at).unwrap();
    let reward = Reward { lots: applied.taken.clone(), ..reward };
    let write = Write {
        customer: Some(CustomerWrite::Changed(applied)),
        code: Some(NewCode { code, customer_id: id(), reward_id }),
        ..Write::reward(RewardWrite::New(reward.clone()))
    };
    assert_eq!(table.commit(write).await.unwrap(), Committed::Done);
    reward
}

/// A shop whose customer 41 was saved before records kept a tally, with 1,000 points.
async fn setup<S: Store>(store: S) -> (Deps<S, FakeShopify>, Shop) {
    let shop = Shop::new("order.myshopify.com", Access::StaticToken, now()).unwrap();
    store.shop(&shop.domain).create(&shop, &ShopSecrets::new("s", Some("t")).unwrap()).await.unwrap();
    let deps = Deps::new(store, FakeShopify::new());
    let enrollment = Enrollment::new(CUSTOMER, "o@example.com", None, None, None).unwrap();
    tally_app::enroll::enroll(&deps, &shop, enrollment, &Default::default()).await.unwrap();
    {
        let table = deps.store.shop(&shop.domain);
        let enrolled = table.customer(id()).await.unwrap().unwrap();
        let untallied = Customer { rewards: None, version: enrolled.version + 1, ..enrolled.clone() };
        let replaced = CustomerWrite::Replaced { customer: untallied, read_version: enrolled.version };
        assert_eq!(table.commit(Write::customer(replaced)).await.unwrap(), Committed::Done);
        let customer = table.customer(id()).await.unwrap().unwrap();
        let applied = customer.apply(&BalanceChange::adjust(1000, "start"), now()).unwrap();
        assert_eq!(table.commit(Write::customer(CustomerWrite::Changed(applied))).await.unwrap(), Committed::Done);
    }
    (deps, shop)
}

async fn every_page<S: Store>(deps: &Deps<S, FakeShopify>, shop: &Shop, limit: usize) -> Vec<Vec<RewardId>> {
    let who = CustomerRef::Id(id());
    let (mut pages, mut after): (Vec<Vec<RewardId>>, Option<RewardPosition>) = (vec![], None);
    loop {
        let page = loyalty::rewards(deps, shop, &who, None, after.map(|a| (id(), a)), limit).await.unwrap();
        pages.push(page.rewards.iter().map(|r| r.id).collect());
        match page.next {
            Some(next) => after = Some(next),
            None => return pages,
        }
    }
}

async fn older_rewards_are_counted_once_and_listed_after_the_newer<S: Store>(store: S) {
    let (deps, shop) = setup(store).await;
    let hour = |h: i64| now() - time::Duration::hours(10 - h);
    // Three rewards of the time before, at random ids that tell no time, made at hours 1, 2 and 3.
    let mut old = vec![];
    for (h, bits) in [(1, 900_000_000_000_000), (2, 5), (3, 4_000_000_000_000_000)] {
        old.push(redeem(&deps, &shop, hour(h), RewardId::from_entropy(bits)).await.id);
    }
    let before = loyalty::of(&deps, &shop, id()).await.unwrap();
    assert_eq!((before.rewards_count, before.rewards.len()), (3, 3), "counted from the rewards themselves");

    let counted = tally::count_rewards(&deps, &shop.domain).await.unwrap();
    assert_eq!((counted.counted, counted.had_one), (1, 0));
    let again = tally::count_rewards(&deps, &shop.domain).await.unwrap();
    assert_eq!((again.counted, again.had_one), (0, 1), "a second run counts nothing");

    // Three made since, at hours 4, 5 and 6, with ids that tell their time.
    let mut new = vec![];
    for h in 4..=6 {
        new.push(redeem(&deps, &shop, hour(h), deps.draw_reward_id(hour(h))).await.id);
    }
    let loyalty = loyalty::of(&deps, &shop, id()).await.unwrap();
    let shown: Vec<RewardId> = loyalty.rewards.iter().map(|r| r.id).collect();
    let newest_first: Vec<RewardId> = new.iter().rev().chain(old.iter().rev()).copied().collect();
    assert_eq!(shown, newest_first, "the newer in the order made, then the older");
    assert_eq!(loyalty.rewards_count, 6);
    assert_eq!(loyalty.customer.rewards.map(|t| (t.count, t.unordered)), Some((6, 3)));

    let pages = every_page(&deps, &shop, 2).await;
    assert_eq!(pages.concat(), newest_first, "every reward once, newest first: {pages:?}");
    assert!(pages.iter().all(|p| p.len() <= 2));
    let pages = every_page(&deps, &shop, 3).await;
    assert_eq!(pages, vec![newest_first[..3].to_vec(), newest_first[3..].to_vec()], "a page ends where the newer do");
}

mod dynamodb_local {
    #[tokio::test]
    async fn older_rewards_are_counted_once_and_listed_after_the_newer() {
        super::older_rewards_are_counted_once_and_listed_after_the_newer(super::fresh_store().await).await
    }
}

mod in_memory {
    #[tokio::test]
    async fn older_rewards_are_counted_once_and_listed_after_the_newer() {
        super::older_rewards_are_counted_once_and_listed_after_the_newer(super::FakeStore::new()).await
    }
}
