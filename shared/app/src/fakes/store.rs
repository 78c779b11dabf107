//! The in-memory store: one shop's data per domain, behind one lock.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};

use tally_domain::customer::{Customer, Identity};
use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId};
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::shop::{Shop, ShopDomain, ShopSecrets, ShopSettings, ShopStatus};
use tally_domain::Time;

use crate::ports::store::*;

/// The in-memory store. Clones share one state.
#[derive(Debug, Clone, Default)]
pub struct FakeStore(Arc<Mutex<World>>);

#[derive(Debug, Default)]
pub(super) struct World {
    pub shops: BTreeMap<ShopDomain, ShopData>,
    /// Which shop each API key (by hash) opens.
    pub keys: BTreeMap<String, ShopDomain>,
    /// Each job's lock: its token and until when it holds.
    pub jobs: BTreeMap<String, (String, Time)>,
    /// Shops whose deletion was asked, and when.
    pub redactions: BTreeMap<ShopDomain, Time>,
    /// What the events use case keeps (`fakes::events`).
    pub events: super::events::EventsData,
}

#[derive(Debug, Default)]
pub(super) struct ShopData {
    pub shop: Option<Shop>,
    pub secrets: Option<ShopSecrets>,
    pub last_rule_id: u64,
    pub listed_keys: BTreeMap<String, ListedKey>,
    pub customers: BTreeMap<CustomerId, Customer>,
    pub customer_list: BTreeSet<CustomerId>,
    pub identities: BTreeMap<Identity, CustomerId>,
    pub rewards: BTreeMap<(CustomerId, RewardId), Reward>,
    /// Codes, uppercased (Shopify's codes are case-insensitive), and whose reward each is.
    pub codes: BTreeMap<String, (CustomerId, RewardId)>,
    pub ledgers: BTreeMap<CustomerId, BTreeMap<u64, LedgerEntry>>,
    pub rules: BTreeMap<RuleId, RedeemRule>,
    pub rule_aliases: BTreeMap<RuleAlias, RuleId>,
    pub deleted_rules: BTreeSet<RuleId>,
    pub lot_listings: BTreeSet<(time::Date, CustomerId)>,
    /// The redemptions' journal (`Reward::journaled`), and how far it was read.
    pub journal: BTreeSet<(Time, CustomerId, RewardId)>,
    pub journal_read_to: Option<Time>,
    pub keys_in_use: BTreeMap<String, KeyRecord>,
    pub cancelled_orders: BTreeSet<OrderId>,
    pub deliveries: BTreeSet<String>,
    pub token: Option<SharedToken>,
    pub lease: Option<Time>,
}

/// An idempotency key's record.
#[derive(Debug, Clone)]
pub(super) struct KeyRecord {
    pub fingerprint: String,
    pub token: Option<String>,
    pub locked_until_ms: i64,
    pub expires_at_s: i64,
    pub effect: Option<Effect>,
    pub answer: Option<Answer>,
    pub promise: Option<Promise>,
}

impl FakeStore {
    pub fn new() -> FakeStore {
        FakeStore::default()
    }

    pub(super) fn world(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on one shop's data.
    fn with<T>(&self, domain: &ShopDomain, f: impl FnOnce(&mut ShopData) -> T) -> T {
        f(self.world().shops.entry(domain.clone()).or_default())
    }

    /// Writes a customer record as it is, with its listing and identities: for seeding tests.
    pub fn put_customer(&self, domain: &ShopDomain, customer: &Customer) {
        self.with(domain, |data| {
            for identity in customer.identities() {
                data.identities.insert(identity, customer.customer_id);
            }
            data.customer_list.insert(customer.customer_id);
            data.customers.insert(customer.customer_id, customer.clone());
        })
    }
}

/// One shop's data in the fake store.
#[derive(Debug, Clone)]
pub struct FakeShopStore<'a> {
    pub(super) store: &'a FakeStore,
    pub(super) domain: &'a ShopDomain,
}

impl FakeShopStore<'_> {
    pub(super) fn with<T>(&self, f: impl FnOnce(&mut ShopData) -> T) -> T {
        self.store.with(self.domain, f)
    }
}

impl Store for FakeStore {
    type Shop<'a> = FakeShopStore<'a>;

    fn shop<'a>(&'a self, domain: &'a ShopDomain) -> FakeShopStore<'a> {
        FakeShopStore { store: self, domain }
    }

    async fn shops(&self) -> StoreResult<Vec<Shop>> {
        Ok(self.world().shops.values().filter_map(|d| d.shop.clone()).collect())
    }

    async fn shop_for_key(&self, hash: &str) -> StoreResult<Option<Shop>> {
        let world = self.world();
        Ok(world.keys.get(hash).and_then(|domain| world.shops.get(domain)).and_then(|d| d.shop.clone()))
    }

    async fn lock_job(&self, job: &str, token: &str, now: Time, until: Time) -> StoreResult<Held> {
        let mut world = self.world();
        if world.jobs.get(job).is_some_and(|(_, held_until)| *held_until >= now) {
            return Ok(Held::Elsewhere);
        }
        world.jobs.insert(job.into(), (token.into(), until));
        Ok(Held::Taken)
    }

    async fn unlock_job(&self, job: &str, token: &str) -> StoreResult<()> {
        let mut world = self.world();
        if world.jobs.get(job).is_some_and(|(held_by, _)| held_by == token) {
            world.jobs.remove(job);
        }
        Ok(())
    }

    async fn redactions(&self) -> StoreResult<Vec<ShopDomain>> {
        Ok(self.world().redactions.keys().cloned().collect())
    }
}

impl ShopRecords for FakeShopStore<'_> {
    async fn get(&self) -> StoreResult<Option<Shop>> {
        Ok(self.with(|data| data.shop.clone()))
    }

    async fn create(&self, shop: &Shop, secrets: &ShopSecrets) -> StoreResult<Created> {
        Ok(self.with(|data| match data.shop {
            Some(_) => Created::Exists,
            None => {
                (data.shop, data.secrets) = (Some(shop.clone()), Some(secrets.clone()));
                Created::New
            }
        }))
    }

    async fn reconnect(&self, shop: &Shop, secrets: &ShopSecrets) -> StoreResult<()> {
        self.with(|data| {
            if let Some(known) = &mut data.shop {
                *known = Shop {
                    settings: known.settings,
                    created_at: known.created_at,
                    status: ShopStatus::Active,
                    ..shop.clone()
                };
            }
            data.secrets = Some(secrets.clone());
            data.token = None;
        });
        Ok(())
    }

    async fn set_status(&self, status: ShopStatus, _at: Time) -> StoreResult<Found> {
        Ok(self.with(|data| match &mut data.shop {
            Some(shop) => {
                shop.status = status;
                Found::Yes
            }
            None => Found::No,
        }))
    }

    async fn set_settings(&self, settings: &ShopSettings) -> StoreResult<Found> {
        Ok(self.with(|data| match &mut data.shop {
            Some(shop) => {
                shop.settings = *settings;
                Found::Yes
            }
            None => Found::No,
        }))
    }

    async fn client_secret(&self) -> StoreResult<Option<String>> {
        Ok(self.with(|data| data.secrets.as_ref().map(|s| s.client_secret.clone())))
    }

    async fn static_token(&self) -> StoreResult<Option<String>> {
        Ok(self.with(|data| data.secrets.as_ref().and_then(|s| s.static_token.clone())))
    }

    async fn secrets(&self) -> StoreResult<Option<ShopSecrets>> {
        Ok(self.with(|data| data.secrets.clone()))
    }

    async fn put_secrets(&self, secrets: &ShopSecrets) -> StoreResult<()> {
        self.with(|data| data.secrets = Some(secrets.clone()));
        Ok(())
    }

    async fn rule_id_taken(&self, taken: RuleId) -> StoreResult<bool> {
        Ok(self.with(|data| {
            data.last_rule_id = data.last_rule_id.max(taken.get());
            data.shop.is_some()
        }))
    }

    async fn next_rule_id(&self) -> StoreResult<Option<RuleId>> {
        Ok(self.with(|data| {
            data.shop.as_ref()?;
            data.last_rule_id += 1;
            RuleId::new(data.last_rule_id)
        }))
    }
}

impl ApiKeys for FakeShopStore<'_> {
    async fn add_key(&self, key: &ListedKey) -> StoreResult<Held> {
        let mut world = self.store.world();
        if world.keys.get(&key.hash).is_some_and(|owner| owner != self.domain) {
            return Ok(Held::Elsewhere);
        }
        world.keys.insert(key.hash.clone(), self.domain.clone());
        world.shops.entry(self.domain.clone()).or_default().listed_keys.insert(key.hash.clone(), key.clone());
        Ok(Held::Taken)
    }

    async fn keys(&self) -> StoreResult<Vec<ListedKey>> {
        Ok(self.with(|data| data.listed_keys.values().cloned().collect()))
    }

    async fn revoke_key(&self, hash: &str) -> StoreResult<()> {
        let mut world = self.store.world();
        world.keys.remove(hash);
        world.shops.entry(self.domain.clone()).or_default().listed_keys.remove(hash);
        Ok(())
    }
}

impl Customers for FakeShopStore<'_> {
    async fn customer(&self, id: CustomerId) -> StoreResult<Option<Customer>> {
        Ok(self.with(|data| data.customers.get(&id).cloned()))
    }

    async fn owner(&self, identity: &Identity) -> StoreResult<Option<CustomerId>> {
        Ok(self.with(|data| data.identities.get(identity).copied()))
    }

    async fn customer_ids(&self) -> StoreResult<Vec<CustomerId>> {
        Ok(self.with(|data| data.customer_list.iter().copied().collect()))
    }

    async fn customer_and_rule(
        &self,
        customer: CustomerId,
        rule: RuleId,
    ) -> StoreResult<(Option<Customer>, Option<RedeemRule>)> {
        Ok((self.customer(customer).await?, self.rule(rule).await?))
    }
}

impl Rewards for FakeShopStore<'_> {
    async fn reward(&self, customer: CustomerId, id: RewardId) -> StoreResult<Option<Reward>> {
        Ok(self.with(|data| data.rewards.get(&(customer, id)).cloned()))
    }

    async fn rewards_made(&self, ids: &[(CustomerId, RewardId)]) -> StoreResult<Vec<Reward>> {
        Ok(self.with(|data| ids.iter().filter_map(|key| data.rewards.get(key).cloned()).collect()))
    }

    async fn code_owner(&self, code: &str) -> StoreResult<Option<(CustomerId, RewardId)>> {
        Ok(self.with(|data| data.codes.get(&code.to_uppercase()).copied()))
    }

    async fn customer_with_rewards(&self, customer: CustomerId) -> StoreResult<Option<(Customer, Vec<Reward>)>> {
        Ok(self.with(|data| {
            let rewards =
                data.rewards.range((customer, RewardId::from_entropy(1))..).take_while(|((c, _), _)| *c == customer);
            let rewards = rewards.map(|(_, r)| r.clone()).collect();
            data.customers.get(&customer).map(|c| (c.clone(), rewards))
        }))
    }

    async fn newest_rewards(
        &self,
        customer: CustomerId,
        before: Option<RewardId>,
        limit: usize,
    ) -> StoreResult<(Vec<Reward>, bool)> {
        let mut newest = self.customer_rewards(customer, true);
        newest.retain(|r| before.is_none_or(|b| r.id < b));
        newest.sort_by_key(|r| std::cmp::Reverse(r.id));
        let more = newest.len() > limit;
        newest.truncate(limit);
        Ok((newest, more))
    }

    async fn unordered_rewards(&self, customer: CustomerId) -> StoreResult<Vec<Reward>> {
        Ok(self.customer_rewards(customer, false))
    }
}

impl FakeShopStore<'_> {
    /// The customer's rewards kept in order (their ids tell when they were made), or the others.
    fn customer_rewards(&self, customer: CustomerId, ordered: bool) -> Vec<Reward> {
        self.with(|data| {
            let theirs =
                data.rewards.range((customer, RewardId::from_entropy(1))..).take_while(|((c, _), _)| *c == customer);
            theirs.map(|(_, r)| r).filter(|r| r.id.tells(r.create_at) == ordered).cloned().collect()
        })
    }
}

impl Ledgers for FakeShopStore<'_> {
    async fn ledger(&self, customer: CustomerId) -> StoreResult<Vec<LedgerEntry>> {
        Ok(self.with(|data| data.ledgers.get(&customer).map(|l| l.values().cloned().collect()).unwrap_or_default()))
    }

    async fn ledger_page(
        &self,
        customer: CustomerId,
        before: Option<u64>,
        limit: usize,
    ) -> StoreResult<(Vec<LedgerEntry>, bool)> {
        Ok(self.with(|data| {
            let ledger = data.ledgers.get(&customer);
            let older = ledger.into_iter().flat_map(|l| l.range(..before.unwrap_or(u64::MAX)).rev());
            let mut page: Vec<LedgerEntry> = older.map(|(_, e)| e.clone()).take(limit + 1).collect();
            let more = page.len() > limit;
            page.truncate(limit);
            (page, more)
        }))
    }
}

impl Rules for FakeShopStore<'_> {
    async fn rule(&self, id: RuleId) -> StoreResult<Option<RedeemRule>> {
        Ok(self.with(|data| data.rules.get(&id).cloned()))
    }

    async fn rules(&self) -> StoreResult<Vec<RedeemRule>> {
        Ok(self.with(|data| data.rules.values().cloned().collect()))
    }

    async fn rule_by_alias(&self, alias: &RuleAlias) -> StoreResult<Option<RuleId>> {
        Ok(self.with(|data| data.rule_aliases.get(alias).copied()))
    }

    async fn rule_aliases(&self) -> StoreResult<Vec<(RuleAlias, RuleId)>> {
        Ok(self.with(|data| data.rule_aliases.iter().map(|(alias, id)| (alias.clone(), *id)).collect()))
    }

    async fn rule_deleted(&self, id: RuleId) -> StoreResult<bool> {
        Ok(self.with(|data| data.deleted_rules.contains(&id)))
    }
}
