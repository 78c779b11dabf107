//! Unit tests of the use cases, over the in-memory fakes: milliseconds each, no DynamoDB, no HTTP.

mod events;
mod import;
mod jobs;
mod orders;
mod people;
mod redeem;
mod refund;

use std::sync::Arc;

use rust_decimal::Decimal;
use tally_domain::customer::{Customer, CustomerRef, Enrollment};
use tally_domain::ids::{CustomerId, RuleId, VariantId};
use tally_domain::points::{Number, Points};
use tally_domain::redemption::RedeemCommand;
use tally_domain::reward::Reward;
use tally_domain::rule::{CombinesWith, RewardType, RuleDraft, RuleStatus};
use tally_domain::shop::{Access, Shop, ShopSecrets};
use tally_domain::Time;
use time::macros::datetime;

use crate::fakes::{FakeShopify, FakeStore};
use crate::idempotency::Attempt;
use crate::ports::store::{Customers, Rewards, ShopRecords};
use crate::ports::{SeededRandom, SimClock, Store};
use crate::redeem::{redeem, RedeemError, Redeemed};
use crate::Deps;

pub(crate) const START: Time = datetime!(2026-11-02 10:00 UTC);
pub(crate) const CUSTOMER: u64 = 1001;
pub(crate) const VARIANT: u64 = 40001;

/// A shop with one rule of each type (ids 1 to 5) and customer 1001 with 2,500 points, over the fakes.
pub(crate) struct World {
    pub deps: Deps<FakeStore, FakeShopify>,
    pub clock: SimClock,
    pub shop: Shop,
}

pub(crate) fn customer_id() -> CustomerId {
    CustomerId::new(CUSTOMER).unwrap()
}

pub(crate) fn rule_id(n: u64) -> RuleId {
    RuleId::new(n).unwrap()
}

fn draft(name: &str, kind: RewardType, cost: i64, value: Option<&str>) -> RuleDraft {
    RuleDraft {
        name: name.into(),
        status: RuleStatus::Active,
        reward_type: kind,
        points_cost: Some(Number::Integer(cost)),
        variable: None,
        discount_value: value.map(|v| v.parse().unwrap()),
        minimum_subtotal: None,
        expires_after_days: Some(30),
        variant_ids: if kind == RewardType::FreeProduct { vec![VARIANT] } else { vec![] },
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

impl World {
    pub async fn new() -> World {
        let clock = SimClock::at(START);
        let deps =
            Deps::with(FakeStore::new(), FakeShopify::new(), Arc::new(clock.clone()), Arc::new(SeededRandom::new(7)));
        let shop = Shop::new("test.myshopify.com", Access::StaticToken, START).unwrap();
        let secrets = ShopSecrets::new("secret", Some("shpat_test")).unwrap();
        crate::shops::create(&deps, &shop, &secrets).await.unwrap();
        deps.shopify.add_shop(&shop.domain, &[(VariantId::new(VARIANT).unwrap(), Decimal::new(1200, 2))]);
        let world = World { deps, clock, shop };
        for rule in [
            draft("$5 off", RewardType::FixedAmount, 500, Some("5.00")),
            draft("15% off", RewardType::Percentage, 700, Some("15")),
            draft("Free shipping", RewardType::FreeShipping, 300, None),
            draft("Free mug", RewardType::FreeProduct, 900, None),
            draft("$10 credit", RewardType::StoreCredit, 1000, Some("10.00")),
        ] {
            crate::rules::create(&world.deps, &world.shop, rule, &Attempt::default()).await.unwrap();
        }
        world.enroll(CUSTOMER, 2500).await;
        world
    }

    /// Enrolls a customer with `points` (that never expire).
    pub async fn enroll(&self, id: u64, points: i64) {
        let enrollment = Enrollment::new(id, &format!("c{id}@example.com"), None, None, None).unwrap();
        crate::enroll::enroll(&self.deps, &self.shop, enrollment, &Attempt::default()).await.unwrap();
        if points > 0 {
            self.adjust(id, points, None).await;
        }
    }

    pub async fn adjust(&self, id: u64, points: i64, expires_at: Option<Time>) {
        let adjustment = crate::adjust::Adjustment {
            customer: CustomerRef::Id(CustomerId::new(id).unwrap()),
            points: Points::new("points", Number::Integer(points.abs())).unwrap(),
            reason: "given".into(),
            direction: if points > 0 {
                tally_domain::ledger::Direction::Add
            } else {
                tally_domain::ledger::Direction::Remove
            },
            expires_at,
        };
        crate::adjust::adjust(&self.deps, &self.shop, &adjustment, &Attempt::default()).await.unwrap();
    }

    pub fn command(&self, rule: u64) -> RedeemCommand {
        RedeemCommand {
            customer: CustomerRef::Id(customer_id()),
            redeem_rule_id: rule_id(rule),
            points: None,
            variant_id: (rule == 4).then(|| VariantId::new(VARIANT).unwrap()),
            delay_points_deduction: false,
        }
    }

    pub async fn redeem(&self, rule: u64) -> Result<Redeemed, RedeemError> {
        redeem(&self.deps, &self.shop, &self.command(rule), &Attempt::default()).await
    }

    pub async fn delayed(&self, rule: u64) -> Result<Redeemed, RedeemError> {
        let command = RedeemCommand { delay_points_deduction: true, ..self.command(rule) };
        redeem(&self.deps, &self.shop, &command, &Attempt::default()).await
    }

    pub async fn customer(&self) -> Customer {
        self.deps.store.shop(&self.shop.domain).customer(customer_id()).await.unwrap().unwrap()
    }

    /// What the customer can spend now.
    pub async fn available(&self) -> i64 {
        self.customer().await.available_at(self.deps.now())
    }

    pub async fn reward(&self, reward: &Reward) -> Reward {
        self.deps.store.shop(&self.shop.domain).reward(reward.customer_id, reward.id).await.unwrap().unwrap()
    }

    /// The audit finds nothing wrong.
    pub async fn assert_clean(&self) {
        let report = crate::audit::audit(&self.deps, &self.shop.domain).await.unwrap();
        assert!(report.is_clean(), "{:#?}", report.problems);
    }
}
