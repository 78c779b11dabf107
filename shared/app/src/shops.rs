//! Shops: found by an API key or by the domain a webhook comes from; connected as a Dev Dashboard app (or,
//! legacy, with a static token); their secret rotated, their settings changed, their API keys managed;
//! uninstalled.

use tally_domain::error::Missing;
use tally_domain::ids::hash_api_key;
use tally_domain::shop::{Access, Shop, ShopDomain, ShopSecrets, ShopSettings, ShopStatus};

use crate::access::shared;
use crate::error::Unavailable;
pub use crate::held::ShopWithSecret;
use crate::ports::store::{ApiKeys, Created, Found, Held, ListedKey, ShopRecords, Tokens};
use crate::ports::{Shopify, ShopifyError, ShopifyShop, Store};
use crate::{access, Deps};

/// The webhook topics Tally subscribes a shop to, as Shopify's GraphQL names them.
pub const TOPICS: [&str; 5] =
    ["ORDERS_CREATE", "ORDERS_CANCELLED", "REFUNDS_CREATE", "CUSTOMERS_CREATE", "APP_UNINSTALLED"];

/// The shop an API key opens, if any: as this Lambda read it less than `held::HELD_FOR` ago, or read now.
pub async fn by_api_key<S: Store, H>(deps: &Deps<S, H>, key: &str) -> Result<Option<Shop>, Unavailable> {
    let (hash, now) = (hash_api_key(key), deps.clock.now());
    if let Some(shop) = deps.held.for_key(&hash, now) {
        return Ok(Some(shop));
    }
    let shop = deps.store.shop_for_key(&hash).await?;
    if let Some(shop) = &shop {
        deps.held.keep_for_key(&hash, shop, now);
    }
    Ok(shop)
}

/// The shop with its client secret (none for a shop never connected properly), as this Lambda read them
/// less than `held::HELD_FOR` ago, or read now (both at once): what verifies a webhook or an App Proxy call.
pub async fn with_secret<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
) -> Result<Option<ShopWithSecret>, Unavailable> {
    let now = deps.clock.now();
    if let Some(held) = deps.held.for_domain(domain, now) {
        return Ok(Some(held));
    }
    let store = deps.store.shop(domain);
    let (shop, client_secret) = tokio::try_join!(store.get(), store.client_secret())?;
    let Some(shop) = shop else { return Ok(None) };
    let held = ShopWithSecret { shop, client_secret };
    deps.held.keep_for_domain(&held, now);
    Ok(Some(held))
}

/// Why a shop could not be connected or changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopAdminError {
    #[error("Shopify did not accept the shop's app credentials")]
    BadCredentials,
    #[error("connect is for Dev Dashboard apps, which have a client id")]
    NotAnApp,
    #[error("Shop {0} exists already")]
    Exists(ShopDomain),
    #[error("This API key opens another shop; choose another key")]
    KeyInUse,
    #[error(
        "A chosen key must be at least {MIN_KEY_LENGTH} characters outside a local stack; leave --key out to draw one"
    )]
    WeakKey,
    #[error(transparent)]
    Missing(#[from] Missing),
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
}

impl From<crate::ports::StoreError> for ShopAdminError {
    fn from(e: crate::ports::StoreError) -> Self {
        ShopAdminError::Unavailable(e.into())
    }
}

/// What connecting a shop did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connected {
    /// The shop was new (not connected before).
    pub new: bool,
    /// The topics subscribed now; those already subscribed to the URL are left as they are.
    pub subscribed: Vec<String>,
    /// The topics that were subscribed already.
    pub already: Vec<String>,
    /// Subscriptions to these topics at other URLs (an earlier stack's, say), left as they are: each of
    /// their events reaches that URL too.
    pub elsewhere: Vec<(String, String)>,
}

fn refused_or_down(e: ShopifyError) -> ShopAdminError {
    match e {
        ShopifyError::Refused(_) => ShopAdminError::BadCredentials,
        other => Unavailable::shopify(other).into(),
    }
}

/// Connects `shop`, a Dev Dashboard app with `secrets`. The credentials are proved first (a token is
/// obtained): wrong ones are `BAD_CREDENTIALS` and nothing is stored. Then the shop is stored (created, or
/// reinstated with its rules and customers) and, given a `webhook_url`, subscribed to `TOPICS`, once each.
pub async fn connect<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    shop: &Shop,
    secrets: &ShopSecrets,
    webhook_url: Option<&str>,
) -> Result<Connected, ShopAdminError> {
    let Access::ClientCredentials { client_id } = &shop.access else { return Err(ShopAdminError::NotAnApp) };
    let token =
        deps.shopify.fetch_token(&shop.admin_url, client_id, &secrets.client_secret).await.map_err(refused_or_down)?;
    let store = deps.store.shop(&shop.domain);
    let new = store.create(shop, secrets).await? == Created::New;
    if !new {
        store.reconnect(shop, secrets).await?;
    }
    deps.tokens.forget(&shop.domain);
    deps.held.forget_shop(&shop.domain);
    // The token that proved the credentials serves the calls that follow.
    store.share_token(&shared(token, deps.now())).await?;
    let (mut subscribed, mut already, mut elsewhere) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(url) = webhook_url {
        let shopify = access::shopify(deps, shop, None);
        let existing = shopify.webhook_subscriptions().await.map_err(Unavailable::shopify)?;
        elsewhere.extend(existing.iter().filter(|(t, uri)| TOPICS.contains(&t.as_str()) && uri != url).cloned());
        for topic in TOPICS {
            if existing.iter().any(|(t, uri)| t == topic && uri == url) {
                already.push(topic.to_string());
                continue;
            }
            shopify.subscribe(topic, url).await.map_err(Unavailable::shopify)?;
            subscribed.push(topic.to_string());
        }
    }
    tracing::info!(shop = %shop.domain, new, subscribed = subscribed.len(), "shop connected");
    Ok(Connected { new, subscribed, already, elsewhere })
}

/// Creates a shop with a legacy static token; one that exists is refused.
pub async fn create<S: Store, H>(deps: &Deps<S, H>, shop: &Shop, secrets: &ShopSecrets) -> Result<(), ShopAdminError> {
    match deps.store.shop(&shop.domain).create(shop, secrets).await? {
        Created::New => Ok(()),
        Created::Exists => Err(ShopAdminError::Exists(shop.domain.clone())),
    }
}

/// Replaces a Dev Dashboard app's client secret, once Shopify accepts it.
pub async fn rotate_secret<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    client_secret: &str,
) -> Result<(), ShopAdminError> {
    let store = deps.store.shop(domain);
    let shop = store.get().await?.ok_or_else(|| Missing::Shop(domain.clone()))?;
    let mut secrets = store.secrets().await?.ok_or_else(|| Missing::Shop(domain.clone()))?;
    if let Access::ClientCredentials { client_id } = &shop.access {
        deps.shopify.fetch_token(&shop.admin_url, client_id, client_secret).await.map_err(refused_or_down)?;
    }
    secrets.client_secret = client_secret.to_string();
    store.put_secrets(&secrets).await?;
    store.forget_token().await?;
    deps.tokens.forget(domain);
    deps.held.forget_shop(domain);
    tracing::info!(shop = %domain, "client secret rotated");
    Ok(())
}

/// Replaces the shop's settings.
pub async fn change_settings<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    settings: &ShopSettings,
) -> Result<(), ShopAdminError> {
    let found = deps.store.shop(domain).set_settings(settings).await?;
    deps.held.forget_shop(domain);
    match found {
        Found::Yes => Ok(()),
        Found::No => Err(Missing::Shop(domain.clone()).into()),
    }
}

/// The app was uninstalled from the shop: writes are refused from now on, reads still work, the jobs pass
/// the shop by, its token is forgotten. Nothing is deleted (Shopify's `shop/redact` does that, later).
pub async fn uninstalled<S: Store, H>(deps: &Deps<S, H>, shop: &Shop) -> Result<(), Unavailable> {
    let store = deps.store.shop(&shop.domain);
    store.set_status(ShopStatus::Uninstalled, deps.now()).await?;
    store.forget_token().await?;
    deps.tokens.forget(&shop.domain);
    deps.held.forget_shop(&shop.domain);
    tracing::warn!(shop = %shop.domain, "the app was uninstalled");
    Ok(())
}

/// The shortest key an operator may choose for a deployed stack (a drawn key is 32 random bytes).
pub const MIN_KEY_LENGTH: usize = 32;

/// Whether an operator's chosen key is stored: any key on a local stack, a long one elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChosenKeys {
    Any,
    Long,
}

/// Stores `key` as a key of the shop. A key that opens another shop is refused, never moved; a short
/// chosen key is refused unless `chosen` allows any.
pub async fn add_api_key<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    key: &str,
    chosen: ChosenKeys,
) -> Result<(), ShopAdminError> {
    if chosen == ChosenKeys::Long && key.chars().count() < MIN_KEY_LENGTH {
        return Err(ShopAdminError::WeakKey);
    }
    let store = deps.store.shop(domain);
    if store.get().await?.is_none() {
        return Err(Missing::Shop(domain.clone()).into());
    }
    let listed = ListedKey { hash: hash_api_key(key), prefix: key.chars().take(12).collect(), created_at: deps.now() };
    match store.add_key(&listed).await? {
        Held::Taken => Ok(()),
        Held::Elsewhere => Err(ShopAdminError::KeyInUse),
    }
}

/// Revokes the shop's key given whole (found by its hash, however old the key), or the one key that
/// starts with `given` as `api-key list` shows it; returns how many keys matched (one is revoked only when
/// exactly one matches).
pub async fn revoke_api_key<S: Store, H>(
    deps: &Deps<S, H>,
    domain: &ShopDomain,
    given: &str,
) -> Result<usize, ShopAdminError> {
    let store = deps.store.shop(domain);
    let hash = hash_api_key(given);
    if deps.store.shop_for_key(&hash).await?.is_some_and(|shop| shop.domain == *domain) {
        store.revoke_key(&hash).await?;
        deps.held.forget_key(&hash);
        return Ok(1);
    }
    let keys = store.keys().await?;
    let matching: Vec<&ListedKey> = keys.iter().filter(|k| k.prefix.starts_with(given)).collect();
    let [key] = matching.as_slice() else { return Ok(matching.len()) };
    store.revoke_key(&key.hash).await?;
    deps.held.forget_key(&key.hash);
    Ok(1)
}
