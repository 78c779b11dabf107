//! The in-memory Shopify: discounts, variants, store credit and orders per shop, answering as the project's
//! emulator does (the same ids, the same refusals), and failing on command as the emulator does, seen
//! from the client: a call that is throttled once is retried and goes through; one that Shopify is down
//! for fails without effect; one whose answer is lost takes effect and fails; a refused mutation does
//! nothing (queries are not refused).

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use tally_domain::ids::{CustomerId, OrderId, VariantId};
use tally_domain::reward::{DiscountSpec, StoreCreditSpec};
use tally_domain::shop::{Shop, ShopDomain};

use crate::ports::shopify::{
    Call, FetchedToken, FoundDiscount, Metafield, MetafieldRead, MetafieldSet, MetafieldWritten, OrderState,
    ShopifyResult,
};
use crate::ports::{Shopify, ShopifyError, ShopifyShop, TokenSource};

/// How the next call fails, seen from the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShopifyFault {
    /// Shopify throttles the call once; the client waits and it goes through.
    Throttled,
    /// Shopify is down for the call, even after the client's retries: nothing is done.
    Down,
    /// The call is carried out, and its answer lost.
    AnswerLost,
    /// A mutation is refused (`userErrors`), nothing done; a query is not refused and the fault waits.
    Refused,
}

#[derive(Debug, Clone, Default)]
pub struct FakeShopify(Arc<Mutex<World>>);

#[derive(Debug, Default)]
struct World {
    shops: BTreeMap<ShopDomain, FakeShop>,
    faults: VecDeque<ShopifyFault>,
}

/// One shop as the fake Shopify holds it.
#[derive(Debug, Clone, Default)]
pub struct FakeShop {
    pub discounts: Vec<FakeDiscount>,
    pub variants: BTreeMap<VariantId, Decimal>,
    /// Store credit given, by customer.
    pub credit: BTreeMap<CustomerId, Decimal>,
    pub orders: BTreeMap<OrderId, OrderState>,
    pub subscriptions: Vec<(String, String)>,
    /// Flow triggers received: `(handle, payload)`.
    pub flow_triggers: Vec<(String, String)>,
    /// Customer metafields by `(customer, namespace, key)`: the value, and how many times it was written
    /// (its digest).
    pub metafields: BTreeMap<(CustomerId, String, String), (String, u64)>,
    next_id: u64,
    order_count: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct FakeDiscount {
    pub id: String,
    pub spec: DiscountSpec,
    pub active: bool,
    pub uses: u64,
}

impl FakeShop {
    fn next_gid(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("gid://shopify/{kind}/{}", 1000 + self.next_id)
    }

    fn by_code(&mut self, code: &str) -> Option<&mut FakeDiscount> {
        self.discounts.iter_mut().find(|d| d.spec.code.eq_ignore_ascii_case(code))
    }
}

/// Why the fake Shopify refuses an order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the order cannot use code {0}")]
pub struct CodeRefused(pub String);

impl FakeShopify {
    pub fn new() -> FakeShopify {
        FakeShopify::default()
    }

    fn world(&self) -> MutexGuard<'_, World> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a shop (its variants by id and price).
    pub fn add_shop(&self, domain: &ShopDomain, variants: &[(VariantId, Decimal)]) {
        let mut world = self.world();
        let shop = world.shops.entry(domain.clone()).or_default();
        shop.variants.extend(variants.iter().copied());
    }

    /// The next calls fail, one fault each, in this order.
    pub fn fail_next(&self, faults: &[ShopifyFault]) {
        self.world().faults.extend(faults.iter().copied());
    }

    /// Every fault still waiting is dropped.
    pub fn clear_faults(&self) {
        self.world().faults.clear();
    }

    /// The shop as Shopify holds it now.
    pub fn state(&self, domain: &ShopDomain) -> FakeShop {
        self.world().shops.get(domain).cloned().unwrap_or_default()
    }

    /// A customer places an order using `codes`, as the emulator's storefront does: refused when a code
    /// is unknown, ended, used up or another customer's. Returns the order's id and name.
    pub fn place_order(
        &self,
        domain: &ShopDomain,
        codes: &[String],
        customer: Option<CustomerId>,
    ) -> Result<(OrderId, String), CodeRefused> {
        let mut world = self.world();
        let shop = world.shops.entry(domain.clone()).or_default();
        let mut used = Vec::new();
        // As the emulator does: each code is checked and counted in turn, a refused one stopping the order.
        for code in codes {
            let Some(discount) = shop.by_code(code) else { return Err(CodeRefused(code.clone())) };
            if !discount.active || discount.uses >= 1 || customer.is_some_and(|c| discount.spec.customer_id != c) {
                return Err(CodeRefused(code.clone()));
            }
            discount.uses += 1;
            used.push(discount.spec.code.clone());
        }
        shop.order_count += 1;
        let (id, name) = (450_789_468 + shop.order_count, format!("#{}", 1000 + shop.order_count));
        let id = OrderId::new(id).unwrap_or_else(|| unreachable!("order ids are positive"));
        shop.orders.insert(id, OrderState { name: name.clone(), fully_refunded: false, codes: used });
        Ok((id, name))
    }

    /// The order is refunded (in full or not). The refund's id is drawn from the order numbers, as the
    /// emulator draws it.
    pub fn refund_order(&self, domain: &ShopDomain, order: OrderId, full: bool) {
        let mut world = self.world();
        let Some(shop) = world.shops.get_mut(domain) else { return };
        shop.order_count += 1;
        if let Some(state) = shop.orders.get_mut(&order) {
            state.fully_refunded |= full;
        }
    }

    /// Runs one call: draws its fault, then does `work` unless the fault says nothing is done.
    fn call<T>(
        &self,
        domain: &ShopDomain,
        mutation: bool,
        work: impl FnOnce(&mut FakeShop) -> ShopifyResult<T>,
    ) -> ShopifyResult<T> {
        let mut world = self.world();
        let fault = match world.faults.front() {
            Some(ShopifyFault::Refused) if !mutation => None,
            Some(_) => world.faults.pop_front(),
            None => None,
        };
        let Some(shop) = world.shops.get_mut(domain) else {
            return Err(ShopifyError::Refused("HTTP 401: the access token was refused".into()));
        };
        match fault {
            Some(ShopifyFault::Down) => Err(ShopifyError::Unavailable("HTTP 503".into())),
            Some(ShopifyFault::Refused) => Err(ShopifyError::Refused("Emulated failure".into())),
            Some(ShopifyFault::AnswerLost) => {
                let _ = work(shop);
                Err(ShopifyError::Unknown("timed out".into()))
            }
            Some(ShopifyFault::Throttled) | None => work(shop),
        }
    }
}

/// One shop's API in the fake Shopify.
pub struct FakeShopifyShop<'a> {
    shopify: &'a FakeShopify,
    tokens: Box<dyn TokenSource + 'a>,
    domain: ShopDomain,
    deadline: Instant,
}

impl Shopify for FakeShopify {
    type Shop<'a> = FakeShopifyShop<'a>;

    fn shop<'a>(
        &'a self,
        shop: &'a Shop,
        tokens: Box<dyn TokenSource + 'a>,
        deadline: Option<Instant>,
    ) -> FakeShopifyShop<'a> {
        let budget = Instant::now() + Duration::from_secs(8);
        FakeShopifyShop {
            shopify: self,
            tokens,
            domain: shop.domain.clone(),
            deadline: deadline.map_or(budget, |d| d.min(budget)),
        }
    }

    fn fetch_token(&self, _admin_url: &str, _client_id: &str, client_secret: &str) -> impl Call<FetchedToken> {
        let token = match client_secret.is_empty() {
            true => Err(ShopifyError::Refused("HTTP 400: the client id or secret was not accepted".into())),
            false => Ok(FetchedToken { access_token: "shpca_fake".into(), scope: String::new(), expires_in: 86_399 }),
        };
        std::future::ready(token)
    }
}

impl FakeShopifyShop<'_> {
    /// One call as the client makes it: a token first (which may be read from the store), then the call.
    async fn call<T>(&self, mutation: bool, work: impl FnOnce(&mut FakeShop) -> ShopifyResult<T>) -> ShopifyResult<T> {
        self.tokens.token().await?;
        self.shopify.call(&self.domain, mutation, work)
    }
}

impl ShopifyShop for FakeShopifyShop<'_> {
    fn deadline(&self) -> Instant {
        self.deadline
    }

    async fn variant_price(&self, variant: VariantId) -> ShopifyResult<Option<Decimal>> {
        self.call(false, |shop| Ok(shop.variants.get(&variant).copied())).await
    }

    async fn create_discount(&self, discount: &DiscountSpec) -> ShopifyResult<String> {
        self.call(true, |shop| {
            if shop.by_code(&discount.code).is_some() {
                return Err(ShopifyError::Taken);
            }
            if let tally_domain::reward::DiscountValue::Product { variant_id, .. } = &discount.value {
                if !shop.variants.contains_key(variant_id) {
                    return Err(ShopifyError::Refused(format!("Variant {variant_id} does not exist (INVALID)")));
                }
            }
            let id = shop.next_gid("DiscountCodeNode");
            shop.discounts.push(FakeDiscount { id: id.clone(), spec: discount.clone(), active: true, uses: 0 });
            Ok(id)
        })
        .await
    }

    async fn find_discount(&self, code: &str) -> ShopifyResult<Option<FoundDiscount>> {
        self.call(false, |shop| {
            Ok(shop.by_code(code).map(|d| FoundDiscount { id: d.id.clone(), active: d.active, uses: d.uses, codes: 1 }))
        })
        .await
    }

    async fn list_discount_codes(&self) -> ShopifyResult<Vec<(String, String)>> {
        self.call(false, |shop| Ok(shop.discounts.iter().map(|d| (d.id.clone(), d.spec.code.clone())).collect())).await
    }

    async fn deactivate_discount(&self, id: &str) -> ShopifyResult<()> {
        self.call(true, |shop| match shop.discounts.iter_mut().find(|d| d.id == id) {
            Some(discount) => {
                discount.active = false;
                Ok(())
            }
            None => Err(ShopifyError::Refused("Discount does not exist (INVALID)".into())),
        })
        .await
    }

    async fn order(&self, order: OrderId) -> ShopifyResult<Option<OrderState>> {
        self.call(false, |shop| Ok(shop.orders.get(&order).cloned())).await
    }

    async fn order_using_code(&self, code: &str) -> ShopifyResult<Option<(OrderId, OrderState)>> {
        self.call(false, |shop| {
            let used = |state: &OrderState| state.codes.iter().any(|c| c.eq_ignore_ascii_case(code));
            Ok(shop.orders.iter().rev().find(|(_, state)| used(state)).map(|(id, state)| (*id, state.clone())))
        })
        .await
    }

    async fn webhook_subscriptions(&self) -> ShopifyResult<Vec<(String, String)>> {
        self.call(false, |shop| Ok(shop.subscriptions.clone())).await
    }

    async fn subscribe(&self, topic: &str, uri: &str) -> ShopifyResult<()> {
        self.call(true, |shop| {
            let _ = shop.next_gid("WebhookSubscription");
            shop.subscriptions.push((topic.into(), uri.into()));
            Ok(())
        })
        .await
    }

    async fn credit_store_credit(&self, credit: &StoreCreditSpec) -> ShopifyResult<String> {
        self.call(true, |shop| {
            let transaction = shop.next_gid("StoreCreditAccountCreditTransaction");
            let _account = shop.next_gid("StoreCreditAccount");
            *shop.credit.entry(credit.customer_id).or_default() += credit.amount;
            Ok(transaction)
        })
        .await
        // As the client does: a 503 may come after a credit was made, so its outcome is unknown.
        .map_err(|e| match e {
            ShopifyError::Unavailable(why) if why.starts_with("HTTP 503") => ShopifyError::Unknown(why),
            other => other,
        })
    }

    async fn flow_trigger(&self, handle: &str, payload: &str) -> ShopifyResult<()> {
        self.call(true, |shop| {
            shop.flow_triggers.push((handle.into(), payload.into()));
            Ok(())
        })
        .await
    }

    async fn customer_metafield(
        &self,
        customer: CustomerId,
        namespace: &str,
        key: &str,
    ) -> ShopifyResult<MetafieldRead> {
        self.call(false, |shop| {
            let found = shop.metafields.get(&(customer, namespace.into(), key.into()));
            let found = found.map(|(value, writes)| Metafield { value: value.clone(), digest: writes.to_string() });
            Ok(found.map_or(MetafieldRead::Absent, MetafieldRead::Found))
        })
        .await
    }

    async fn set_customer_metafield(
        &self,
        customer: CustomerId,
        set: &MetafieldSet<'_>,
    ) -> ShopifyResult<MetafieldWritten> {
        self.call(true, |shop| {
            let at = (customer, set.namespace.to_string(), set.key.to_string());
            let digest = shop.metafields.get(&at).map(|(_, writes)| writes.to_string());
            if digest.as_deref() != set.read {
                return Ok(MetafieldWritten::Stale);
            }
            let writes = shop.metafields.get(&at).map_or(1, |(_, writes)| writes + 1);
            shop.metafields.insert(at, (set.value.to_string(), writes));
            Ok(MetafieldWritten::Written)
        })
        .await
    }
}
