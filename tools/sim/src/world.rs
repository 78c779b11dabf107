//! A leg: Tally's use cases over one store and one Shopify, on the simulated clock and the seed's
//! randomness, with the trouble wrappers around both; and the world every leg starts from: two shops
//! (each with its own settings), six rules, three customers with points.

use std::sync::Arc;

use rust_decimal::Decimal;
use tally_app::adjust::Adjustment;
use tally_app::fakes::{FakeShopify, FakeStore};
use tally_app::idempotency::Attempt;
use tally_app::ports::store::ShopRecords;
use tally_app::ports::{SeededRandom, Shopify, SimClock, Store};
use tally_app::Deps;
use tally_domain::customer::{CustomerRef, Enrollment};
use tally_domain::ids::{CustomerId, RuleId, VariantId};
use tally_domain::ledger::Direction;
use tally_domain::points::{Number, Points};
use tally_domain::rule::{CombinesWith, RewardType, RuleDraft, RuleStatus, VariableDraft};
use tally_domain::shop::{Access, Shop, ShopSecrets, ShopSettings};
use tally_domain::Time;
use time::macros::datetime;

use crate::schedule::{CUSTOMERS, SHOPS};
use crate::shopify::ShopifyWorld;
use crate::trouble::{Plan, Troubled, TroubledShopify};

pub const START: Time = datetime!(2026-11-02 10:00 UTC);
pub const VARIANT: u64 = 40001;
pub const FIRST_CUSTOMER: u64 = 1001;
const TOKEN: &str = "shpat_sim";

pub type LegDeps<S, H> = Deps<Troubled<S>, TroubledShopify<H>>;

/// Tally over one store and one Shopify, and the Shopify it meets from outside.
pub struct Leg<S, H, W> {
    pub deps: LegDeps<S, H>,
    pub world: W,
    pub plan: Arc<Plan>,
    pub clock: SimClock,
    pub shops: Vec<Shop>,
}

/// The leg over the in-memory fakes.
pub type FakeLeg = Leg<FakeStore, FakeShopify, FakeShopify>;

pub fn customer_id(n: u8) -> CustomerId {
    CustomerId::new(FIRST_CUSTOMER + u64::from(n)).unwrap_or_else(|| unreachable!("ids from 1001 are positive"))
}

pub fn rule_id(n: u8) -> RuleId {
    RuleId::new(u64::from(n).max(1)).unwrap_or_else(|| unreachable!("rule ids from 1 are positive"))
}

pub fn variant() -> VariantId {
    VariantId::new(VARIANT).unwrap_or_else(|| unreachable!("the variant's id is positive"))
}

impl<S: Store, H: Shopify, W: ShopifyWorld> Leg<S, H, W> {
    /// The world of `seed` over `store` and `shopify`, reached from outside through `world`.
    pub async fn new(seed: u64, store: S, shopify: H, world: W) -> Leg<S, H, W> {
        let plan = Arc::new(Plan::default());
        let clock = SimClock::at(START);
        let deps = Deps::with(
            Troubled { inner: store, plan: plan.clone() },
            TroubledShopify { inner: shopify, plan: plan.clone() },
            Arc::new(clock.clone()),
            Arc::new(SeededRandom::new(seed)),
        );
        let mut leg = Leg { deps, world, plan, clock, shops: Vec::new() };
        for n in 0..SHOPS {
            let shop = leg.add_shop(n).await;
            leg.shops.push(shop);
        }
        leg
    }

    async fn add_shop(&self, n: u8) -> Shop {
        let domain = format!("sim-{n}.myshopify.com");
        let shop = Shop::new(&domain, Access::StaticToken, START).and_then(|s| s.with_code_prefix("SIM-"));
        let mut shop = shop.unwrap_or_else(|e| unreachable!("the simulation's shop is valid: {e}"));
        shop.admin_url = self.world.admin_url(&shop.domain);
        // The second shop takes expired rewards' points back and keeps a cancelled order's.
        if n == 1 {
            shop.settings = ShopSettings {
                return_points_on_cancel: false,
                return_points_on_expiry: true,
                ..ShopSettings::default()
            };
        }
        let secrets = ShopSecrets::new("sim-secret", Some(TOKEN)).unwrap_or_else(|e| unreachable!("{e}"));
        tally_app::shops::create(&self.deps, &shop, &secrets).await.expect("a fresh store takes the shop");
        self.deps.store.inner.shop(&shop.domain).set_settings(&shop.settings).await.expect("settings kept");
        self.world.add_shop(&shop.domain, TOKEN, &[(variant(), Decimal::new(1200, 2))]).await;
        for draft in drafts() {
            tally_app::rules::create(&self.deps, &shop, draft, &Attempt::default()).await.expect("the rules are valid");
        }
        for c in 0..CUSTOMERS {
            let id = customer_id(c).get();
            let enrollment = Enrollment::new(id, &format!("c{id}@example.com"), None, None, None)
                .unwrap_or_else(|e| unreachable!("the simulation's customer is valid: {e:?}"));
            tally_app::enroll::enroll(&self.deps, &shop, enrollment, &Attempt::default()).await.expect("enrolled");
            let adjustment = Adjustment {
                customer: CustomerRef::Id(customer_id(c)),
                points: Points::new("points", Number::Integer(3000)).unwrap_or_else(|_| unreachable!()),
                reason: "welcome".into(),
                direction: Direction::Add,
                expires_at: None,
            };
            tally_app::adjust::adjust(&self.deps, &shop, &adjustment, &Attempt::default()).await.expect("points");
        }
        shop
    }
}

fn draft(name: &str, kind: RewardType, cost: i64, value: Option<&str>) -> RuleDraft {
    RuleDraft {
        name: name.into(),
        status: RuleStatus::Active,
        reward_type: kind,
        points_cost: Some(Number::Integer(cost)),
        variable: None,
        discount_value: value.map(|v| v.parse().unwrap_or_else(|_| unreachable!("a decimal"))),
        minimum_subtotal: None,
        expires_after_days: Some(3),
        variant_ids: if kind == RewardType::FreeProduct { vec![VARIANT] } else { vec![] },
        combines_with: CombinesWith::default(),
        vip_tier: None,
    }
}

/// Rules 1 to 6: one of each type (5 is store credit), and a variable one.
fn drafts() -> Vec<RuleDraft> {
    let variable = VariableDraft {
        points_step: Number::Integer(100),
        value_per_step: Decimal::ONE,
        min_points: Number::Integer(100),
        max_points: Number::Integer(1000),
    };
    vec![
        draft("$5 off", RewardType::FixedAmount, 500, Some("5.00")),
        draft("15% off", RewardType::Percentage, 700, Some("15")),
        draft("Free shipping", RewardType::FreeShipping, 300, None),
        draft("Free mug", RewardType::FreeProduct, 900, None),
        draft("$10 credit", RewardType::StoreCredit, 1000, Some("10.00")),
        RuleDraft {
            points_cost: None,
            variable: Some(variable),
            ..draft("Points off", RewardType::FixedAmount, 0, None)
        },
    ]
}
