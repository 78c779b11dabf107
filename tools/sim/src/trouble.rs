//! Trouble on purpose: wrappers of the store and of Shopify that count a step's calls and, at the one the
//! schedule names, kill the process (the call made or not; the step's future never finishes) or fail the
//! store's call (made or not). The same wrappers go around the fakes and around DynamoDB Local and the
//! emulator, so that both legs meet the same trouble at the same call.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rust_decimal::Decimal;
use tally_app::ports::shopify::{
    Call, FetchedToken, FoundDiscount, MetafieldRead, MetafieldSet, MetafieldWritten, OrderState, ShopifyResult,
};
use tally_app::ports::store::*;
use tally_app::ports::{Committed, Shopify, ShopifyShop, StoreError, TokenSource, Write};
use tally_domain::customer::{Customer, Identity};
use tally_domain::effect::Effect;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId, VariantId};
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::{DiscountSpec, Reward, StoreCreditSpec};
use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::shop::{Shop, ShopDomain, ShopSecrets, ShopSettings, ShopStatus};
use tally_domain::Time;

/// What goes wrong at the `at`th call of a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Armed {
    Crash { at: u32, after: bool },
    StoreFails { at: u32, after: bool },
}

#[derive(Debug, Default)]
pub struct Plan {
    state: Mutex<State>,
    crashed: tokio::sync::Notify,
}

#[derive(Debug, Default)]
struct State {
    calls: u32,
    armed: Option<Armed>,
    crashed: bool,
    /// The armed trouble happened (a step's calls may end before its `at`th).
    fired: bool,
}

enum Next {
    Go,
    Crash { after: bool },
    Fail { after: bool },
}

impl Plan {
    /// Arms the plan for a step, its count of calls from zero.
    pub fn arm(&self, armed: Option<Armed>) {
        *self.lock() = State { armed, ..State::default() };
    }

    /// Nothing more goes wrong (what did is still known: `fired`).
    pub fn disarm(&self) {
        let mut state = self.lock();
        (state.armed, state.crashed) = (None, false);
    }

    pub fn has_crashed(&self) -> bool {
        self.lock().crashed
    }

    /// Whether the trouble armed for the step happened.
    pub fn fired(&self) -> bool {
        self.lock().fired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Resolves once the step's process has died (a wake-up left from an earlier step is no crash).
    pub async fn crash(&self) {
        loop {
            let notified = self.crashed.notified();
            if self.has_crashed() {
                return;
            }
            notified.await;
        }
    }

    fn next(&self, store: bool) -> Next {
        let mut state = self.lock();
        let call = state.calls;
        state.calls += 1;
        match state.armed {
            _ if state.crashed => Next::Crash { after: false },
            Some(Armed::Crash { at, after }) if at == call => {
                (state.crashed, state.fired) = (true, true);
                Next::Crash { after }
            }
            Some(Armed::StoreFails { at, after }) if at == call && store => {
                state.fired = true;
                Next::Fail { after }
            }
            _ => Next::Go,
        }
    }

    async fn guarded<T>(&self, store: bool, call: impl Future<Output = T>, failed: impl FnOnce() -> T) -> T {
        match self.next(store) {
            Next::Go => call.await,
            Next::Fail { after } => {
                if after {
                    let _ = call.await;
                }
                failed()
            }
            Next::Crash { after } => {
                if after {
                    let _ = call.await;
                }
                self.crashed.notify_one();
                std::future::pending().await
            }
        }
    }

    async fn store<T>(&self, call: impl Future<Output = StoreResult<T>>) -> StoreResult<T> {
        self.guarded(true, call, || Err(StoreError("failed on purpose".into()))).await
    }

    async fn shopify<T>(&self, call: impl Future<Output = ShopifyResult<T>>) -> ShopifyResult<T> {
        self.guarded(false, call, || unreachable!("only the store's calls are failed")).await
    }
}

/// A store whose calls meet the plan's trouble.
pub struct Troubled<S> {
    pub inner: S,
    pub plan: Arc<Plan>,
}

pub struct TroubledShop<'a, T> {
    inner: T,
    plan: &'a Plan,
}

impl<S: Store> Store for Troubled<S> {
    type Shop<'a>
        = TroubledShop<'a, S::Shop<'a>>
    where
        S: 'a;

    fn shop<'a>(&'a self, domain: &'a ShopDomain) -> Self::Shop<'a> {
        TroubledShop { inner: self.inner.shop(domain), plan: &self.plan }
    }

    async fn shops(&self) -> StoreResult<Vec<Shop>> {
        self.plan.store(self.inner.shops()).await
    }

    async fn shop_for_key(&self, hash: &str) -> StoreResult<Option<Shop>> {
        self.plan.store(self.inner.shop_for_key(hash)).await
    }

    async fn lock_job(&self, job: &str, token: &str, now: Time, until: Time) -> StoreResult<Held> {
        self.plan.store(self.inner.lock_job(job, token, now, until)).await
    }

    async fn unlock_job(&self, job: &str, token: &str) -> StoreResult<()> {
        self.plan.store(self.inner.unlock_job(job, token)).await
    }

    async fn redactions(&self) -> StoreResult<Vec<ShopDomain>> {
        self.plan.store(self.inner.redactions()).await
    }
}

/// Each capability's methods, passed through the plan; a `plain` one, which reads nothing, straight through.
macro_rules! through_the_plan {
    ($($capability:ident {
        $(fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $out:ty;)*
        $(plain fn $plain:ident(&self $(, $parg:ident: $pty:ty)*) -> $pout:ty;)*
    })*) => {$(
        impl<T: $capability> $capability for TroubledShop<'_, T> {
            $(async fn $name(&self $(, $arg: $ty)*) -> StoreResult<$out> {
                self.plan.store(self.inner.$name($($arg),*)).await
            })*
            $(fn $plain(&self $(, $parg: $pty)*) -> $pout {
                self.inner.$plain($($parg),*)
            })*
        }
    )*};
}

through_the_plan! {
    ShopRecords {
        fn get(&self) -> Option<Shop>;
        fn create(&self, shop: &Shop, secrets: &ShopSecrets) -> Created;
        fn reconnect(&self, shop: &Shop, secrets: &ShopSecrets) -> ();
        fn set_status(&self, status: ShopStatus, at: Time) -> Found;
        fn set_settings(&self, settings: &ShopSettings) -> Found;
        fn client_secret(&self) -> Option<String>;
        fn static_token(&self) -> Option<String>;
        fn secrets(&self) -> Option<ShopSecrets>;
        fn put_secrets(&self, secrets: &ShopSecrets) -> ();
        fn next_rule_id(&self) -> Option<RuleId>;
        fn rule_id_taken(&self, taken: RuleId) -> bool;
    }
    ApiKeys {
        fn add_key(&self, key: &ListedKey) -> Held;
        fn keys(&self) -> Vec<ListedKey>;
        fn revoke_key(&self, hash: &str) -> ();
    }
    Customers {
        fn customer(&self, id: CustomerId) -> Option<Customer>;
        fn owner(&self, identity: &Identity) -> Option<CustomerId>;
        fn customer_ids(&self) -> Vec<CustomerId>;
        fn customer_and_rule(&self, customer: CustomerId, rule: RuleId) -> (Option<Customer>, Option<RedeemRule>);
    }
    Rewards {
        fn reward(&self, customer: CustomerId, id: RewardId) -> Option<Reward>;
        fn rewards_made(&self, ids: &[(CustomerId, RewardId)]) -> Vec<Reward>;
        fn code_owner(&self, code: &str) -> Option<(CustomerId, RewardId)>;
        fn customer_with_rewards(&self, customer: CustomerId) -> Option<(Customer, Vec<Reward>)>;
        fn newest_rewards(&self, customer: CustomerId, before: Option<RewardId>, limit: usize) -> (Vec<Reward>, bool);
        fn unordered_rewards(&self, customer: CustomerId) -> Vec<Reward>;
    }
    Ledgers {
        fn ledger(&self, customer: CustomerId) -> Vec<LedgerEntry>;
        fn ledger_page(&self, customer: CustomerId, before: Option<u64>, limit: usize) -> (Vec<LedgerEntry>, bool);
    }
    Rules {
        fn rule(&self, id: RuleId) -> Option<RedeemRule>;
        fn rules(&self) -> Vec<RedeemRule>;
        fn rule_by_alias(&self, alias: &RuleAlias) -> Option<RuleId>;
        fn rule_aliases(&self) -> Vec<(RuleAlias, RuleId)>;
        fn rule_deleted(&self, id: RuleId) -> bool;
    }
    Listings {
        fn pending(&self, before: Time, after: Option<&Position>, limit: usize) -> Page<Reward>;
        fn in_review(&self) -> Vec<Reward>;
        fn expiring(&self, before: Time, after: Option<&Position>, limit: usize) -> Page<Reward>;
        fn refunding(&self, before: Time, after: Option<&Position>, limit: usize) -> Page<Reward>;
        fn lots_due(&self, since: Option<time::Date>, day: time::Date, after: Option<&Position>, limit: usize) -> Page<(CustomerId, time::Date)>;
        fn customers_page(&self, after: Option<&Position>, limit: usize) -> Page<CustomerId>;
        fn journal(&self, since: Option<Time>, until: Time, after: Option<&Position>, limit: usize) -> Page<(CustomerId, RewardId)>;
        fn journal_read_to(&self) -> Option<Time>;
        fn set_journal_read_to(&self, to: Time) -> ();
    }
    Idempotency {
        fn begin(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> Begin;
        fn begin_unpromised(&self, key: &str, fingerprint: &str, token: &str, now: Time) -> Begin;
        fn finish(&self, claim: &Claim, answer: &Answer) -> ();
        fn release(&self, claim: &Claim) -> ();
        fn restart(&self, claim: &Claim) -> bool;
        plain fn promise_fits(&self, claim: &Claim, effect: &Effect, promise: &Promise) -> bool;
    }
    Markers {
        fn mark_order_cancelled(&self, order: OrderId, at: Time) -> ();
        fn order_cancelled(&self, order: OrderId) -> bool;
        fn delivery_handled(&self, delivery: &str) -> bool;
        fn record_delivery(&self, delivery: &str, at: Time) -> ();
    }
    Tokens {
        fn shared_token(&self) -> Option<SharedToken>;
        fn lease_token(&self, now: Time, until: Time) -> Held;
        fn release_lease(&self, until: Time) -> ();
        fn share_token(&self, token: &SharedToken) -> ();
        fn forget_token(&self) -> ();
    }
    Erasure {
        fn delete_customer(&self, customer: CustomerId) -> ();
        fn delete_shop(&self) -> ();
        fn begin_redaction(&self, at: Time) -> Created;
        fn end_redaction(&self) -> ();
    }
    Writes {
        fn commit(&self, write: Write) -> Committed;
    }
}

/// Shopify, its calls met by the plan's crashes (its own failures are the fake's or the emulator's).
pub struct TroubledShopify<H> {
    pub inner: H,
    pub plan: Arc<Plan>,
}

pub struct TroubledShopifyShop<'a, T> {
    inner: T,
    plan: &'a Plan,
}

impl<H: Shopify> Shopify for TroubledShopify<H> {
    type Shop<'a>
        = TroubledShopifyShop<'a, H::Shop<'a>>
    where
        H: 'a;

    fn shop<'a>(
        &'a self,
        shop: &'a Shop,
        tokens: Box<dyn TokenSource + 'a>,
        deadline: Option<Instant>,
    ) -> Self::Shop<'a> {
        TroubledShopifyShop { inner: self.inner.shop(shop, tokens, deadline), plan: &self.plan }
    }

    fn fetch_token(&self, admin_url: &str, client_id: &str, client_secret: &str) -> impl Call<FetchedToken> {
        self.inner.fetch_token(admin_url, client_id, client_secret)
    }
}

impl<T: ShopifyShop> ShopifyShop for TroubledShopifyShop<'_, T> {
    fn deadline(&self) -> Instant {
        self.inner.deadline()
    }

    async fn variant_price(&self, variant: VariantId) -> ShopifyResult<Option<Decimal>> {
        self.plan.shopify(self.inner.variant_price(variant)).await
    }

    async fn create_discount(&self, discount: &DiscountSpec) -> ShopifyResult<String> {
        self.plan.shopify(self.inner.create_discount(discount)).await
    }

    async fn find_discount(&self, code: &str) -> ShopifyResult<Option<FoundDiscount>> {
        self.plan.shopify(self.inner.find_discount(code)).await
    }

    async fn list_discount_codes(&self) -> ShopifyResult<Vec<(String, String)>> {
        self.plan.shopify(self.inner.list_discount_codes()).await
    }

    async fn deactivate_discount(&self, id: &str) -> ShopifyResult<()> {
        self.plan.shopify(self.inner.deactivate_discount(id)).await
    }

    async fn order(&self, order: OrderId) -> ShopifyResult<Option<OrderState>> {
        self.plan.shopify(self.inner.order(order)).await
    }

    async fn order_using_code(&self, code: &str) -> ShopifyResult<Option<(OrderId, OrderState)>> {
        self.plan.shopify(self.inner.order_using_code(code)).await
    }

    async fn webhook_subscriptions(&self) -> ShopifyResult<Vec<(String, String)>> {
        self.plan.shopify(self.inner.webhook_subscriptions()).await
    }

    async fn subscribe(&self, topic: &str, uri: &str) -> ShopifyResult<()> {
        self.plan.shopify(self.inner.subscribe(topic, uri)).await
    }

    async fn credit_store_credit(&self, credit: &StoreCreditSpec) -> ShopifyResult<String> {
        self.plan.shopify(self.inner.credit_store_credit(credit)).await
    }

    async fn flow_trigger(&self, handle: &str, payload: &str) -> ShopifyResult<()> {
        self.plan.shopify(self.inner.flow_trigger(handle, payload)).await
    }

    async fn customer_metafield(
        &self,
        customer: CustomerId,
        namespace: &str,
        key: &str,
    ) -> ShopifyResult<MetafieldRead> {
        self.plan.shopify(self.inner.customer_metafield(customer, namespace, key)).await
    }

    async fn set_customer_metafield(
        &self,
        customer: CustomerId,
        set: &MetafieldSet<'_>,
    ) -> ShopifyResult<MetafieldWritten> {
        self.plan.shopify(self.inner.set_customer_metafield(customer, set)).await
    }
}
