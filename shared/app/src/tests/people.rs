//! Customers and shops: enrollment, adjustments, rules, privacy, shop administration.

use tally_domain::customer::{EnrollRefused, Enrolled, Phone};
use tally_domain::error::Refused;
use tally_domain::ledger::Direction;
use tally_domain::reward::RewardStatus;
use tally_domain::rule::RuleError;

use super::*;
use crate::adjust::{adjust, Adjustment};
use crate::enroll::{enroll, EnrollError};
use crate::error::ChangeError;
use crate::rules::RulesError;

#[tokio::test]
async fn enrollment_makes_each_identifier_the_customers_alone_and_a_returning_customer_keeps_the_balance() {
    let world = World::new().await;
    let taken = Enrollment::new(2002, &format!("c{CUSTOMER}@example.com"), None, None, None).unwrap();
    let refused = enroll(&world.deps, &world.shop, taken, &Attempt::default()).await.unwrap_err();
    assert!(matches!(refused, EnrollError::Refused(EnrollRefused::EmailInUse(_))));
    let phone = Enrollment::new(2002, "b@example.com", Some("+14155552671"), None, None).unwrap();
    enroll(&world.deps, &world.shop, phone, &Attempt::default()).await.unwrap();
    let same_phone = Enrollment::new(2003, "c@example.com", Some("+14155552671"), None, None).unwrap();
    let refused = enroll(&world.deps, &world.shop, same_phone, &Attempt::default()).await.unwrap_err();
    assert_eq!(refused, EnrollError::Refused(EnrollRefused::PhoneInUse(Phone::parse("+14155552671").unwrap())));
    let mut left = world.customer().await;
    left.status = tally_domain::customer::CustomerStatus::Inactive;
    world.deps.store.put_customer(&world.shop.domain, &left);
    let back = Enrollment::new(CUSTOMER, "new@example.com", None, None, None).unwrap();
    let (loyalty, outcome) = enroll(&world.deps, &world.shop, back, &Attempt::default()).await.unwrap();
    assert_eq!((outcome, loyalty.available_points()), (Enrolled::Reactivated, 2500));
    let old = Enrollment::new(2004, &format!("c{CUSTOMER}@example.com"), None, None, None).unwrap();
    assert!(enroll(&world.deps, &world.shop, old, &Attempt::default()).await.is_ok(), "the old email was released");
}

#[tokio::test]
async fn a_removal_never_takes_the_balance_below_zero_and_a_past_expiry_is_refused() {
    let world = World::new().await;
    let remove = |points| Adjustment {
        customer: CustomerRef::Id(customer_id()),
        points: Points::new("points", Number::Integer(points)).unwrap(),
        reason: "fix".into(),
        direction: Direction::Remove,
        expires_at: None,
    };
    let refused = adjust(&world.deps, &world.shop, &remove(2501), &Attempt::default()).await.unwrap_err();
    assert_eq!(refused, ChangeError::Refused(Refused::InsufficientPoints { available: 2500, required: 2501 }));
    let past = Adjustment { direction: Direction::Add, expires_at: Some(START), ..remove(5) };
    assert_eq!(
        adjust(&world.deps, &world.shop, &past, &Attempt::default()).await.unwrap_err(),
        ChangeError::Refused(Refused::ExpiryPassed)
    );
    assert_eq!(world.available().await, 2500);
}

#[tokio::test]
async fn rules_are_created_under_the_next_id_replaced_and_deleted() {
    let world = World::new().await;
    let bad = RuleDraft { points_cost: None, ..draft("x", RewardType::FreeShipping, 1, None) };
    let refused = crate::rules::create(&world.deps, &world.shop, bad, &Attempt::default()).await.unwrap_err();
    assert_eq!(refused, RulesError::Invalid(RuleError::CostOrVariable));
    let new = draft("y", RewardType::FreeShipping, 10, None);
    let created = crate::rules::create(&world.deps, &world.shop, new, &Attempt::default()).await.unwrap();
    assert_eq!(created.id, rule_id(6), "the refused draft took no id");
    let renamed = draft("z", RewardType::FreeShipping, 20, None);
    assert_eq!(
        crate::rules::replace(&world.deps, &world.shop, rule_id(6), renamed, &Attempt::default()).await.unwrap().name,
        "z"
    );
    crate::rules::delete(&world.deps, &world.shop, rule_id(6), &Attempt::default()).await.unwrap();
    let gone = crate::rules::delete(&world.deps, &world.shop, rule_id(6), &Attempt::default()).await.unwrap_err();
    assert!(matches!(gone, RulesError::Missing(_)));
    let options = crate::rules::options(&world.deps, &world.shop, customer_id()).await.unwrap();
    assert_eq!(
        options.iter().map(|o| o.rule.points_cost).collect::<Vec<_>>(),
        [300, 500, 700, 900, 1000],
        "cheapest first"
    );
}

#[tokio::test]
async fn a_redacted_customer_keeps_their_points_and_loses_what_names_them() {
    let world = World::new().await;
    assert!(crate::privacy::redact_customer(&world.deps, &world.shop, customer_id()).await.unwrap());
    let customer = world.customer().await;
    assert_eq!((customer.email, customer.available_points), (None, 2500));
    let email = Enrollment::new(2002, &format!("c{CUSTOMER}@example.com"), None, None, None).unwrap();
    assert!(enroll(&world.deps, &world.shop, email, &Attempt::default()).await.is_ok(), "the email is free again");
}

#[tokio::test]
async fn a_shop_redaction_is_recorded_then_deletes_every_customer_then_the_shop() {
    let world = World::new().await;
    world.redeem(1).await.unwrap();
    crate::shops::uninstalled(&world.deps, &world.shop).await.unwrap();
    assert!(crate::redaction::ask(&world.deps, &world.shop).await.unwrap());
    assert!(!crate::redaction::ask(&world.deps, &world.shop).await.unwrap(), "asked again: recorded once");
    let store = world.deps.store.shop(&world.shop.domain);
    assert!(store.get().await.unwrap().is_some(), "the delivery only records it");
    let report = crate::redaction::redact(&world.deps, None).await.unwrap();
    assert_eq!((report.shops_deleted, report.customers_deleted), (1, 1), "{report:?}");
    assert!(world.deps.store.redactions().await.unwrap().is_empty(), "a finished deletion is not found again");
    assert!(store.get().await.unwrap().is_none() && store.customer(customer_id()).await.unwrap().is_none());
    assert_eq!(store.client_secret().await.unwrap(), None, "the secrets go too");
}

#[tokio::test]
async fn an_api_key_opens_its_shop_only_and_is_revoked_whole_or_by_its_first_characters() {
    let world = World::new().await;
    let key = world.deps.draw_api_key();
    let long = crate::shops::ChosenKeys::Long;
    crate::shops::add_api_key(&world.deps, &world.shop.domain, &key, long).await.unwrap();
    let opened = crate::shops::by_api_key(&world.deps, &key).await.unwrap();
    assert_eq!(opened.map(|s| s.domain), Some(world.shop.domain.clone()));
    let other = Shop::new("other.myshopify.com", Access::StaticToken, START).unwrap();
    crate::shops::create(&world.deps, &other, &ShopSecrets::new("s", Some("t")).unwrap()).await.unwrap();
    let moved = crate::shops::add_api_key(&world.deps, &other.domain, &key, long).await.unwrap_err();
    assert_eq!(moved, crate::shops::ShopAdminError::KeyInUse, "a key is never moved");
    let weak = crate::shops::add_api_key(&world.deps, &other.domain, "secret123", long).await.unwrap_err();
    assert_eq!(weak, crate::shops::ShopAdminError::WeakKey, "a short chosen key, outside a local stack");
    assert_eq!(crate::shops::revoke_api_key(&world.deps, &other.domain, &key).await.unwrap(), 0, "not theirs");
    assert_eq!(crate::shops::revoke_api_key(&world.deps, &world.shop.domain, &key[..12]).await.unwrap(), 1);
    assert_eq!(crate::shops::by_api_key(&world.deps, &key).await.unwrap(), None);
    // Given whole, found by its hash, listed or not.
    let second = world.deps.draw_api_key();
    crate::shops::add_api_key(&world.deps, &world.shop.domain, &second, long).await.unwrap();
    assert_eq!(crate::shops::revoke_api_key(&world.deps, &world.shop.domain, &second).await.unwrap(), 1);
    assert_eq!(crate::shops::by_api_key(&world.deps, &second).await.unwrap(), None);
    let pending = world.redeem(1).await.unwrap().reward;
    assert_eq!(pending.status(), RewardStatus::Unused);
}

#[tokio::test]
async fn a_shop_connected_again_before_its_deletion_runs_is_kept() {
    let world = World::new().await;
    world.redeem(1).await.unwrap();
    crate::shops::uninstalled(&world.deps, &world.shop).await.unwrap();
    assert!(crate::redaction::ask(&world.deps, &world.shop).await.unwrap());
    let store = world.deps.store.shop(&world.shop.domain);
    store.set_status(tally_domain::shop::ShopStatus::Active, START).await.unwrap();
    let report = crate::redaction::redact(&world.deps, None).await.unwrap();
    assert_eq!((report.shops_deleted, report.customers_deleted), (0, 0), "{report:?}");
    assert!(store.get().await.unwrap().is_some() && store.customer(customer_id()).await.unwrap().is_some());
    assert!(world.deps.store.redactions().await.unwrap().is_empty(), "the deletion is called off");
}
