//! The store against DynamoDB Local: the conditions and transactions that keep balances exact.

use tally_shared::api::errors::code;
use tally_shared::app::now;
use tally_shared::domain::customer::CustomerRef;
use tally_shared::domain::customer::{Customer, CustomerStatus, Enrollment};
use tally_shared::domain::reward::{DeductionMode, Reward, RewardStatus};
use tally_shared::domain::rule::Priced;
use tally_shared::domain::rule::{CombinesWith, RedeemRule, RewardType, RuleStatus};
use tally_shared::domain::shop::Shop;
use tally_shared::store::Store;
use tally_tests::fresh_store;

const CUSTOMER: u64 = 31;

async fn setup(points: i64) -> (Store, Shop, RedeemRule) {
    let store = fresh_store().await;
    let shop = Shop::new("store.myshopify.com", tally_shared::domain::shop::Access::StaticToken, now()).unwrap();
    let secrets = tally_shared::domain::shop::ShopSecrets::new("s", Some("t")).unwrap();
    store.create_shop(&shop, &secrets).await.unwrap();
    let enrollment = Enrollment {
        customer_id: CUSTOMER,
        email: "s@example.com".into(),
        phone: None,
        external_id: None,
        vip_tier: None,
    };
    store.enroll(&shop.domain, enrollment, None, now()).await.unwrap();
    if points > 0 {
        store
            .adjust_points(&shop.domain, &CustomerRef::Id(CUSTOMER), points, None, "start", None, now())
            .await
            .unwrap();
    }
    let rule = RedeemRule {
        id: 1,
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
    };
    (store, shop, rule)
}

async fn customer(store: &Store, shop: &Shop) -> Customer {
    store.get_customer(&shop.domain, CUSTOMER).await.unwrap().unwrap()
}

#[tokio::test]
async fn a_debit_from_a_stale_read_is_redone_on_the_current_balance() {
    let (store, shop, rule) = setup(150).await;
    let stale = customer(&store, &shop).await;
    store
        .adjust_points(&shop.domain, &CustomerRef::Id(CUSTOMER), -100, None, "spent elsewhere", None, now())
        .await
        .unwrap();
    let reward =
        Reward::pending(&shop, CUSTOMER, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, now());
    let refused = store.debit_for_reward(&shop.domain, stale.clone(), reward, "T-", None).await.unwrap_err();
    assert_eq!(code(&refused), "INSUFFICIENT_POINTS", "the stale 150 is not spent twice");
    store.adjust_points(&shop.domain, &CustomerRef::Id(CUSTOMER), 50, None, "topped up", None, now()).await.unwrap();
    let reward =
        Reward::pending(&shop, CUSTOMER, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, now());
    let (after, _) = store.debit_for_reward(&shop.domain, stale, reward, "T-", None).await.unwrap();
    assert_eq!(after.available_points, 0);
    assert_eq!(customer(&store, &shop).await.available_points, 0);
    assert_eq!(store.ledger(&shop.domain, CUSTOMER).await.unwrap().len(), 4);
}

#[tokio::test]
async fn a_code_in_use_is_never_given_twice() {
    let (store, shop, rule) = setup(300).await;
    let first = Reward::pending(&shop, CUSTOMER, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, now());
    let code = first.discount_code.clone().unwrap();
    let (_, first) =
        store.debit_for_reward(&shop.domain, customer(&store, &shop).await, first, "T-", None).await.unwrap();
    let mut second =
        Reward::pending(&shop, CUSTOMER, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, now());
    second.discount_code = Some(code.to_lowercase());
    let (_, second) =
        store.debit_for_reward(&shop.domain, customer(&store, &shop).await, second, "T-", None).await.unwrap();
    assert_ne!(second.discount_code.as_deref().map(str::to_uppercase), Some(code.clone()));
    let owner = store.code_owner(&shop.domain, &code).await.unwrap().unwrap();
    assert_eq!(owner.reward_id, first.id, "the code still leads to the first reward");
    assert_eq!(customer(&store, &shop).await.available_points, 100);
}

#[tokio::test]
async fn a_failed_reward_gives_its_points_back_once_and_cannot_be_issued_after() {
    let (store, shop, rule) = setup(100).await;
    let reward =
        Reward::pending(&shop, CUSTOMER, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, now());
    let (_, reward) =
        store.debit_for_reward(&shop.domain, customer(&store, &shop).await, reward, "T-", None).await.unwrap();
    assert_eq!(customer(&store, &shop).await.available_points, 0);
    let failed = store.fail_reward(&shop.domain, &reward, "Shopify said no", now()).await.unwrap();
    assert_eq!(failed.status, RewardStatus::Failed);
    let again = store.fail_reward(&shop.domain, &reward, "a second time", now()).await.unwrap();
    assert_eq!(again.failure_reason.as_deref(), Some("Shopify said no"));
    let issued_late =
        store.issue_reward(&shop.domain, &reward, "gid://shopify/DiscountCodeNode/1", now()).await.unwrap();
    assert_eq!(issued_late.status, RewardStatus::Failed, "a settled reward stays as it was settled");
    assert_eq!(customer(&store, &shop).await.available_points, 100, "points came back exactly once");
    assert_eq!(store.ledger(&shop.domain, CUSTOMER).await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_email_belongs_to_one_customer() {
    let (store, shop, _) = setup(0).await;
    let other =
        Enrollment { customer_id: 32, email: "s@example.com".into(), phone: None, external_id: None, vip_tier: None };
    assert_eq!(code(&store.enroll(&shop.domain, other, None, now()).await.unwrap_err()), "EMAIL_IN_USE");
    assert!(store.get_customer(&shop.domain, 32).await.unwrap().is_none(), "the refused enrollment wrote nothing");
    let found = store.find_customer(&shop.domain, &CustomerRef::Email("s@example.com".into())).await.unwrap();
    assert_eq!(found.customer_id, CUSTOMER);
}

#[tokio::test]
async fn a_customer_who_comes_back_with_a_new_email_frees_the_old_one() {
    let (store, shop, _) = setup(40).await;
    let mut left = customer(&store, &shop).await;
    left.status = CustomerStatus::Inactive;
    store.put_customer_record(&shop.domain, &left).await.unwrap();
    let back = Enrollment {
        customer_id: CUSTOMER,
        email: "new@example.com".into(),
        phone: None,
        external_id: None,
        vip_tier: None,
    };
    store.enroll(&shop.domain, back, None, now()).await.unwrap();

    let by_new = store.find_customer(&shop.domain, &CustomerRef::Email("new@example.com".into())).await.unwrap();
    assert_eq!((by_new.customer_id, by_new.available_points), (CUSTOMER, 40), "the balance is kept");
    let by_old = store.find_customer(&shop.domain, &CustomerRef::Email("s@example.com".into())).await.unwrap_err();
    assert_eq!(code(&by_old), "CUSTOMER_NOT_FOUND", "the old address no longer finds them");
    let other =
        Enrollment { customer_id: 32, email: "s@example.com".into(), phone: None, external_id: None, vip_tier: None };
    store.enroll(&shop.domain, other, None, now()).await.expect("the old address is free for someone else");
}
