//! Shopify's Admin API, as the use cases need it: one shop's handle (`Shopify::shop`), bound to the
//! request's deadline and to where its tokens come from. The HTTP client implements it (`tally-shopify`),
//! and so does an in-memory fake (`fakes`).

use std::future::Future;
use std::pin::Pin;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use tally_domain::ids::{CustomerId, OrderId, VariantId};
use tally_domain::reward::{DiscountSpec, StoreCreditSpec};
use tally_domain::shop::Shop;

/// How a call to Shopify ended, when it did not succeed. The text is for the logs only: no client sees
/// Shopify's words or the HTTP client's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopifyError {
    /// Shopify answered and refused: the request must not be repeated as it is.
    #[error("Shopify refused: {0}")]
    Refused(String),
    /// Shopify did not act on the request (throttled, unavailable, unreachable), even after retrying.
    #[error("Shopify unavailable: {0}")]
    Unavailable(String),
    /// The request was sent but no answer came back, or none that could be read: it may or may not have
    /// taken effect.
    #[error("Shopify's answer was lost: {0}")]
    Unknown(String),
    /// The discount code is in use in the shop already.
    #[error("the code is taken")]
    Taken,
}

pub type ShopifyResult<T> = Result<T, ShopifyError>;

/// A future Shopify's client gives: it may move between threads.
pub trait Call<T>: Future<Output = ShopifyResult<T>> + Send {}
impl<T, F: Future<Output = ShopifyResult<T>> + Send> Call<T> for F {}

/// A discount as Shopify holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundDiscount {
    pub id: String,
    /// Usable now or later: not deactivated, not ended (`ACTIVE`, or `SCHEDULED` to start).
    pub active: bool,
    /// How many orders used it, as Shopify counts them: asynchronously, so a very recent order may not be
    /// counted yet.
    pub uses: u64,
    /// How many codes the discount has (Tally's have one; a discount of many codes is ended for all).
    pub codes: u64,
}

/// An order as far as Tally asks about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub name: String,
    /// Refunded in full (`displayFinancialStatus` `REFUNDED`); a partial refund is not.
    pub fully_refunded: bool,
    pub codes: Vec<String>,
}

/// A token from the client credentials grant. The token itself is never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct FetchedToken {
    pub access_token: String,
    pub scope: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedToken")
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl FetchedToken {
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

/// What a token source gives: a future, boxed so that the trait can be used as an object.
pub type TokenFuture<'a> = Pin<Box<dyn Future<Output = ShopifyResult<String>> + Send + 'a>>;

/// Where a shop's Admin API tokens come from: a static token, or the client credentials grant with the
/// token shared between Lambdas (`access` provides it; the client only asks).
pub trait TokenSource: Send + Sync {
    /// A token to call with.
    fn token(&self) -> TokenFuture<'_>;
    /// Another token, after Shopify refused `rejected` (it expired, or was revoked).
    fn renew<'a>(&'a self, rejected: &'a str) -> TokenFuture<'a>;
}

pub trait Shopify: Send + Sync {
    type Shop<'a>: ShopifyShop + 'a
    where
        Self: 'a;

    /// The shop's Admin API for one request: every call is done by `deadline`, with tokens from `tokens`.
    fn shop<'a>(
        &'a self,
        shop: &'a Shop,
        tokens: Box<dyn TokenSource + 'a>,
        deadline: Option<Instant>,
    ) -> Self::Shop<'a>;

    /// A token for the app `client_id` on the shop at `admin_url`; wrong credentials are `Refused`.
    fn fetch_token(&self, admin_url: &str, client_id: &str, client_secret: &str) -> impl Call<FetchedToken>;
}

/// One shop's Admin API.
pub trait ShopifyShop: Send + Sync {
    /// When an operation started now must end: its budget, or the request's deadline if that comes first.
    fn deadline(&self) -> Instant;
    /// The price of a variant, or `None` when the shop has no such variant.
    fn variant_price(&self, variant: VariantId) -> impl Call<Option<Decimal>>;
    /// Creates a code discount; `Taken` when its code exists already. Returns the discount's id.
    fn create_discount(&self, discount: &DiscountSpec) -> impl Call<String>;
    /// The discount that has `code`, if any (Shopify matches codes without case).
    fn find_discount(&self, code: &str) -> impl Call<Option<FoundDiscount>>;
    /// Every code of every code discount in the shop, as `(discount id, code)`.
    fn list_discount_codes(&self) -> impl Call<Vec<(String, String)>>;
    /// Ends a discount now; its code stays, unusable. Deactivating one already ended is no error.
    fn deactivate_discount(&self, id: &str) -> impl Call<()>;
    /// What Tally needs of an order; `None` when the shop has no such order.
    fn order(&self, order: OrderId) -> impl Call<Option<OrderState>>;
    /// The latest order that used `code` (Shopify matches codes without case), for a code Shopify counts
    /// as used whose order's webhook never came.
    fn order_using_code(&self, code: &str) -> impl Call<Option<(OrderId, OrderState)>>;
    /// The shop's webhook subscriptions, as `(topic, uri)`, the topic as GraphQL names it (`ORDERS_CREATE`).
    fn webhook_subscriptions(&self) -> impl Call<Vec<(String, String)>>;
    /// Subscribes `uri` to `topic` (as GraphQL names it).
    fn subscribe(&self, topic: &str, uri: &str) -> impl Call<()>;
    /// Credits the customer's store credit. Not idempotent: never call twice for one reward. Returns the
    /// credit transaction's id.
    fn credit_store_credit(&self, credit: &StoreCreditSpec) -> impl Call<String>;
    /// Fires the app's Flow trigger `handle` with `payload` (JSON, the trigger's fields by key).
    fn flow_trigger(&self, handle: &str, payload: &str) -> impl Call<()>;
    /// The customer's metafield `namespace.key`, if set; or that the shop has no such customer.
    fn customer_metafield(&self, customer: CustomerId, namespace: &str, key: &str) -> impl Call<MetafieldRead>;
    /// Sets the customer's metafield (type `json`) if it is still as read: `read` is the digest read, or
    /// `None` when it did not exist. `Stale` when it changed in between (nothing is written then).
    fn set_customer_metafield(&self, customer: CustomerId, set: &MetafieldSet<'_>) -> impl Call<MetafieldWritten>;
}

/// A metafield as read: its value and Shopify's digest of it (`compareDigest`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metafield {
    pub value: String,
    pub digest: String,
}

/// What reading a customer's metafield found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetafieldRead {
    /// The shop has no such customer (deleted, or never in Shopify).
    NoCustomer,
    Absent,
    Found(Metafield),
}

/// A write of a metafield, conditioned on what was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetafieldSet<'a> {
    pub namespace: &'a str,
    pub key: &'a str,
    pub value: &'a str,
    pub read: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetafieldWritten {
    Written,
    /// It changed since it was read: nothing written.
    Stale,
}
