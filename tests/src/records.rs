//! What the tests read and write of the table directly, by a shop's domain as text and ids as numbers:
//! through the store's ports, as the use cases do.

use tally_app::ports::store::{Customers, Ledgers, Rewards, Rules, ShopRecords};
use tally_app::ports::Store;
use tally_domain::customer::Customer;
use tally_domain::ids::{CustomerId, RewardId, RuleId};
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::rule::RedeemRule;
use tally_domain::shop::{Shop, ShopDomain, ShopSecrets, ShopSettings};

use crate::Stack;

fn domain(domain: &str) -> ShopDomain {
    ShopDomain::parse(domain).expect("a shop's domain")
}

fn id<T>(id: u64, new: fn(u64) -> Option<T>) -> T {
    new(id).expect("a positive id")
}

impl Stack {
    pub async fn ledger(&self, shop: &str, customer: u64) -> Vec<LedgerEntry> {
        self.store.shop(&domain(shop)).ledger(id(customer, CustomerId::new)).await.expect("the ledger reads")
    }

    pub async fn customer_record(&self, shop: &str, customer: u64) -> Option<Customer> {
        self.store.shop(&domain(shop)).customer(id(customer, CustomerId::new)).await.expect("the customer reads")
    }

    /// Writes a customer's record as it is, replacing the one there (for states no request makes).
    pub async fn put_customer(&self, shop: &str, customer: &Customer) {
        self.store.shop(&domain(shop)).put_customer_record(customer).await.expect("the customer is written")
    }

    pub async fn reward_record(&self, shop: &str, customer: u64, reward: u64) -> Option<Reward> {
        let (customer, reward) = (id(customer, CustomerId::new), id(reward, RewardId::new));
        self.store.shop(&domain(shop)).reward(customer, reward).await.expect("the reward reads")
    }

    pub async fn shop_of(&self, shop: &str) -> Option<Shop> {
        self.store.shop(&domain(shop)).get().await.expect("the shop reads")
    }

    pub async fn secrets_of(&self, shop: &str) -> Option<ShopSecrets> {
        self.store.shop(&domain(shop)).secrets().await.expect("the secrets read")
    }

    pub async fn rule_of(&self, shop: &str, rule: u64) -> Option<RedeemRule> {
        self.store.shop(&domain(shop)).rule(id(rule, RuleId::new)).await.expect("the rule reads")
    }

    pub async fn create_shop(&self, shop: &Shop, secrets: &ShopSecrets) {
        self.store.shop(&shop.domain).create(shop, secrets).await.expect("the shop is created");
    }

    /// Changes the settings as `tally-cli shop settings` does, through the API server's own dependencies, so
    /// that the shop it holds is forgotten at once (another process's change reaches it within
    /// `tally_app::held::HELD_FOR`).
    pub async fn set_settings(&self, shop: &str, settings: &ShopSettings) {
        tally_app::shops::change_settings(&self.deps, &domain(shop), settings).await.expect("the settings are written");
    }
}
