//! The store's conditions, one scenario at a time, over DynamoDB Local and over the in-memory fake: each
//! write a use case decides is made only while the record is as it was decided on, and both stores say the
//! same thing about the same write.

use tally_app::fakes::{FakeShopify, FakeStore};
use tally_app::ports::store::{
    Answer, Begin, Customers, Idempotency, Promise, Rewards, Rules, ShopRecords, Taking, Writes,
};
use tally_app::ports::write::{IdentityWrite, NewCode, RuleWrite};
use tally_app::ports::{Claim, Committed, CustomerWrite, Rejection, RewardWrite, Store, Write};
use tally_app::Deps;
use tally_domain::customer::{Customer, CustomerStatus, Email, Enrollment, Identity, IdentityKind};
use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, RuleId};
use tally_domain::ledger::BalanceChange;
use tally_domain::reward::{DeductionMode, FailureReason, Reward};
use tally_domain::rule::{CombinesWith, Priced, RedeemRule, RewardType, RuleAlias, RuleStatus};
use tally_domain::shop::{Access, Shop, ShopSecrets};
use tally_tests::{fresh_store, now};

const CUSTOMER: u64 = 31;

fn id() -> CustomerId {
    CustomerId::new(CUSTOMER).unwrap()
}

fn rule() -> RedeemRule {
    RedeemRule {
        id: RuleId::FIRST,
        name: "r".into(),
        status: RuleStatus::Active,
        reward_type: RewardType::FixedAmount,
        points_cost: 100,
        variable: None,
        discount_value: Some("5".parse().unwrap()),
        minimum_subtotal: None,
        expires_after_days: None,
        variant_ids: vec![],
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

/// A shop with customer 31 holding `points`, on `store`.
async fn setup<S: Store>(store: S, points: i64) -> (Deps<S, FakeShopify>, Shop) {
    let shop = Shop::new("store.myshopify.com", Access::StaticToken, now()).unwrap();
    store.shop(&shop.domain).create(&shop, &ShopSecrets::new("s", Some("t")).unwrap()).await.unwrap();
    let deps = Deps::new(store, FakeShopify::new());
    let enrollment = Enrollment::new(CUSTOMER, "s@example.com", None, None, None).unwrap();
    tally_app::enroll::enroll(&deps, &shop, enrollment, &Default::default()).await.unwrap();
    if points > 0 {
        let applied = current(&deps, &shop).await.apply(&BalanceChange::adjust(points, "start"), now()).unwrap();
        assert_eq!(
            deps.store.shop(&shop.domain).commit(Write::customer(CustomerWrite::Changed(applied))).await.unwrap(),
            Committed::Done
        );
    }
    (deps, shop)
}

async fn current<S: Store>(deps: &Deps<S, FakeShopify>, shop: &Shop) -> Customer {
    deps.store.shop(&shop.domain).customer(id()).await.unwrap().unwrap()
}

fn pending(deps: &Deps<impl Store, FakeShopify>, shop: &Shop) -> Reward {
    let (rule, at) = (rule(), now());
    Reward::pending(
        shop,
        id(),
        &rule,
        &Priced::at_cost(&rule),
        None,
        DeductionMode::Immediate,
        at,
        deps.draw_reward("T-", at),
    )
}

/// The write that takes a reward's points and records it with its code.
fn debit(customer: &Customer, reward: &Reward) -> Write {
    let applied = customer.apply(&reward.payment(), now()).unwrap();
    let reward = Reward { lots: applied.taken.clone(), ..reward.clone() };
    let code = NewCode { code: reward.discount_code.clone().unwrap(), customer_id: id(), reward_id: reward.id };
    Write {
        customer: Some(CustomerWrite::Changed(applied)),
        code: Some(code),
        ..Write::reward(RewardWrite::New(reward))
    }
}

async fn a_debit_decided_on_a_stale_read_is_refused_with_the_record_as_it_now_is<S: Store>(store: S) {
    let (deps, shop) = setup(store, 150).await;
    let table = deps.store.shop(&shop.domain);
    let stale = current(&deps, &shop).await;
    let spent = stale.apply(&BalanceChange::adjust(-100, "spent elsewhere"), now()).unwrap();
    assert_eq!(table.commit(Write::customer(CustomerWrite::Changed(spent.clone()))).await.unwrap(), Committed::Done);
    let refused = table.commit(debit(&stale, &pending(&deps, &shop))).await.unwrap();
    assert_eq!(refused, Committed::Rejected(Rejection::Customer(Some(Box::new(spent.customer.clone())))));
    assert_eq!(current(&deps, &shop).await.available_points, 50, "the stale 150 was not spent twice");
}

async fn a_code_or_an_id_in_use_is_never_given_twice_whatever_its_case<S: Store>(store: S) {
    let (deps, shop) = setup(store, 300).await;
    let table = deps.store.shop(&shop.domain);
    let first = pending(&deps, &shop);
    assert_eq!(table.commit(debit(&current(&deps, &shop).await, &first)).await.unwrap(), Committed::Done);
    let code = first.discount_code.clone().unwrap();
    let same_code = pending(&deps, &shop).with_code(code.to_lowercase());
    assert_eq!(
        table.commit(debit(&current(&deps, &shop).await, &same_code)).await.unwrap(),
        Committed::Rejected(Rejection::CodeTaken)
    );
    // The same id at the same time: where the first is kept (an id tells the second it was made).
    let same_id = Reward { create_at: first.create_at, ..pending(&deps, &shop).with_id(first.id) };
    assert_eq!(
        table.commit(debit(&current(&deps, &shop).await, &same_id)).await.unwrap(),
        Committed::Rejected(Rejection::RewardIdTaken)
    );
    assert_eq!(
        table.code_owner(&code).await.unwrap(),
        Some((id(), first.id)),
        "the code still leads to the first reward"
    );
    assert_eq!(current(&deps, &shop).await.available_points, 200, "only the first was paid");
}

async fn a_reward_changes_once_from_the_version_it_was_decided_on<S: Store>(store: S) {
    let (deps, shop) = setup(store, 100).await;
    let table = deps.store.shop(&shop.domain);
    let reward = pending(&deps, &shop);
    assert_eq!(table.commit(debit(&current(&deps, &shop).await, &reward)).await.unwrap(), Committed::Done);
    let stored = table.reward(id(), reward.id).await.unwrap().unwrap();
    let issued = stored.issued("gid://shopify/DiscountCodeNode/1", now()).unwrap();
    assert_eq!(table.commit(Write::reward(RewardWrite::Changed(issued.clone()))).await.unwrap(), Committed::Done);
    let failed_late = stored.failed(FailureReason::ShopifyRefused).unwrap();
    let refused = table.commit(Write::reward(RewardWrite::Changed(failed_late))).await.unwrap();
    assert_eq!(
        refused,
        Committed::Rejected(Rejection::Reward(Some(Box::new(issued.reward.clone())))),
        "decided on a reward since issued"
    );
    assert_eq!(table.reward(id(), reward.id).await.unwrap(), Some(issued.reward), "it stays as it was settled");
}

async fn an_identifier_belongs_to_one_customer_and_a_released_one_is_free<S: Store>(store: S) {
    let (deps, shop) = setup(store, 0).await;
    let table = deps.store.shop(&shop.domain);
    let email = Identity::Email(Email::parse("s@example.com").unwrap());
    let other = CustomerId::new(32).unwrap();
    let someone = Enrollment::new(32, "t@example.com", None, None, None).unwrap().apply(None, now()).unwrap().0;
    let taken = Write {
        identities: vec![IdentityWrite::Claim(email.clone(), other)],
        ..Write::customer(CustomerWrite::Enrolled(someone.clone()))
    };
    assert_eq!(table.commit(taken).await.unwrap(), Committed::Rejected(Rejection::Identity(IdentityKind::Email)));
    assert_eq!(table.customer(other).await.unwrap(), None, "the refused enrollment wrote nothing");
    let again = Write::customer(CustomerWrite::Enrolled(current(&deps, &shop).await));
    assert_eq!(table.commit(again).await.unwrap(), Committed::Rejected(Rejection::CustomerExists));
    let mut left = current(&deps, &shop).await;
    let read = left.version;
    (left.status, left.version) = (CustomerStatus::Inactive, read + 1);
    let released = Write {
        identities: vec![IdentityWrite::Release(email.clone(), id())],
        ..Write::customer(CustomerWrite::Replaced { customer: left, read_version: read })
    };
    assert_eq!(table.commit(released).await.unwrap(), Committed::Done);
    assert_eq!(table.owner(&email).await.unwrap(), None);
    let now_theirs = Write {
        identities: vec![IdentityWrite::Claim(email.clone(), other)],
        ..Write::customer(CustomerWrite::Enrolled(someone))
    };
    assert_eq!(table.commit(now_theirs).await.unwrap(), Committed::Done, "a released address is free for someone else");
}

async fn an_effect_is_recorded_only_under_the_claim_that_holds_the_key<S: Store>(store: S) {
    let (deps, shop) = setup(store, 0).await;
    let table = deps.store.shop(&shop.domain);
    // A free key is only read: two requests racing under it both run, and the first effect written takes it.
    let Begin::Run(first) = table.begin("k", "f", "first", now()).await.unwrap() else { panic!("a free key runs") };
    let Begin::Run(second) = table.begin("k", "f", "second", now()).await.unwrap() else { panic!("still free") };
    let rule_write = |claim: &Claim| {
        Write { rule: Some(RuleWrite::Create(rule())), ..Write::default() }
            .with_effect(Some(claim), Effect::Rule { id: RuleId::FIRST })
    };
    assert_eq!(table.commit(rule_write(&first)).await.unwrap(), Committed::Done);
    assert_eq!(
        table.commit(rule_write(&second)).await.unwrap(),
        Committed::Rejected(Rejection::ClaimLost),
        "the effect is recorded once: the key is taken"
    );
    assert_eq!(table.begin("k", "f", "third", now()).await.unwrap(), Begin::InProgress, "its lock is live");
    assert_eq!(table.begin("k", "g", "third", now()).await.unwrap(), Begin::Reused);
    let again = Write { rule: Some(RuleWrite::Create(rule())), ..Write::default() };
    assert_eq!(table.commit(again).await.unwrap(), Committed::Rejected(Rejection::Rule), "the rule exists");
    table.release(&first).await.unwrap();
    let Begin::Resume(resumed, effect) = table.begin("k", "f", "third", now()).await.unwrap() else {
        panic!("a released key with an effect resumes")
    };
    assert_eq!(
        (resumed.token.as_str(), &resumed.taking, effect),
        ("third", &Taking::Held, Effect::Rule { id: RuleId::FIRST })
    );
    let thief = Claim { token: "not the holder".into(), ..resumed.clone() };
    table.finish(&thief, &Answer { status: 200, body: "{}".into() }).await.unwrap();
    assert_eq!(table.begin("k", "f", "fourth", now()).await.unwrap(), Begin::InProgress, "kept by its holder only");
    let answer = Answer { status: 201, body: "{\"id\":1}".into() };
    table.finish(&resumed, &answer).await.unwrap();
    assert_eq!(table.begin("k", "f", "fourth", now()).await.unwrap(), Begin::Replay(answer));
}

/// A promised answer is looked at before the key's lock, until a claim takes the key over (the promise goes
/// with the take-over) or an answer is kept; a promise that would make the key's record over a write unit
/// does not fit.
async fn a_promise_is_looked_at_until_the_key_is_taken_over_or_answered<S: Store>(store: S) {
    let (deps, shop) = setup(store, 0).await;
    let table = deps.store.shop(&shop.domain);
    let Begin::Run(claim) = table.begin("p", "f", "first", now()).await.unwrap() else { panic!("a free key runs") };
    let (promise, effect) = (Promise { body: "{\"id\":1}".into() }, Effect::Rule { id: RuleId::FIRST });
    assert!(table.promise_fits(&claim, &effect, &promise));
    let mut seed = 7u64;
    let noise: String = (0..3_000)
        .map(|_| {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            char::from(b'!' + (seed >> 58) as u8)
        })
        .collect();
    assert!(!table.promise_fits(&claim, &effect, &Promise { body: noise }), "3 KB that do not deflate");
    let write = Write { rule: Some(RuleWrite::Create(rule())), promise: Some(promise.clone()), ..Write::default() };
    assert_eq!(table.commit(write.with_effect(Some(&claim), effect)).await.unwrap(), Committed::Done);
    let promised = Begin::Promised { promise, effect };
    assert_eq!(table.begin("p", "f", "second", now()).await.unwrap(), promised, "looked at before the lock");
    assert_eq!(table.begin_unpromised("p", "f", "second", now()).await.unwrap(), Begin::InProgress, "not kept");
    let later = now() + time::Duration::seconds(31);
    let Begin::Resume(taken, _) = table.begin_unpromised("p", "f", "third", later).await.unwrap() else {
        panic!("taken over once the lock lapses")
    };
    assert_eq!(table.begin("p", "f", "fourth", later).await.unwrap(), Begin::InProgress, "the promise went with it");
    let answer = Answer { status: 201, body: "{\"id\":2}".into() };
    table.finish(&taken, &answer).await.unwrap();
    assert_eq!(table.begin("p", "f", "fifth", later).await.unwrap(), Begin::Replay(answer));
}

/// An imported rule takes neither a deleted rule's id nor another rule's alias; a deleted rule's id is
/// remembered, and an alias leads to its rule.
async fn an_import_takes_no_deleted_id_and_no_alias_twice<S: Store>(store: S) {
    let (deps, shop) = setup(store, 0).await;
    let table = deps.store.shop(&shop.domain);
    let write = |rule: RuleWrite| Write { rule: Some(rule), ..Write::default() };
    let alias = RuleAlias::parse("reward_abc").unwrap();
    let second = RedeemRule { id: RuleId::new(2).unwrap(), ..rule() };
    assert_eq!(table.commit(write(RuleWrite::Create(rule()))).await.unwrap(), Committed::Done);
    assert!(!table.rule_deleted(RuleId::FIRST).await.unwrap());
    assert_eq!(table.commit(write(RuleWrite::Delete(RuleId::FIRST))).await.unwrap(), Committed::Done);
    assert!(table.rule_deleted(RuleId::FIRST).await.unwrap());
    let reborn = RuleWrite::Import { rule: rule(), alias: None };
    assert_eq!(table.commit(write(reborn)).await.unwrap(), Committed::Rejected(Rejection::RuleDeleted));
    assert_eq!(table.rule(RuleId::FIRST).await.unwrap(), None, "nothing written");
    let named = RuleWrite::Import { rule: second.clone(), alias: Some(alias.clone()) };
    assert_eq!(table.commit(write(named)).await.unwrap(), Committed::Done);
    assert_eq!(table.rule_by_alias(&alias).await.unwrap(), Some(second.id));
    assert_eq!(table.rule_aliases().await.unwrap(), vec![(alias.clone(), second.id)]);
    let third = RedeemRule { id: RuleId::new(3).unwrap(), ..rule() };
    let same_alias = RuleWrite::Import { rule: third.clone(), alias: Some(alias.clone()) };
    assert_eq!(table.commit(write(same_alias)).await.unwrap(), Committed::Rejected(Rejection::RuleAlias));
    assert_eq!(table.rule(third.id).await.unwrap(), None, "nothing written");
    assert_eq!(table.rules().await.unwrap(), vec![second], "the alias and the deleted id are not rules");
}

/// Runs a scenario over DynamoDB Local and over the fake store: the two must agree.
macro_rules! over_both {
    ($($scenario:ident),+) => {
        mod dynamodb_local {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::fresh_store().await).await
            })+
        }
        mod in_memory {
            $(#[tokio::test]
            async fn $scenario() {
                super::$scenario(super::FakeStore::new()).await
            })+
        }
    };
}

over_both!(
    a_debit_decided_on_a_stale_read_is_refused_with_the_record_as_it_now_is,
    a_code_or_an_id_in_use_is_never_given_twice_whatever_its_case,
    a_reward_changes_once_from_the_version_it_was_decided_on,
    an_identifier_belongs_to_one_customer_and_a_released_one_is_free,
    an_effect_is_recorded_only_under_the_claim_that_holds_the_key,
    a_promise_is_looked_at_until_the_key_is_taken_over_or_answered,
    an_import_takes_no_deleted_id_and_no_alias_twice
);
