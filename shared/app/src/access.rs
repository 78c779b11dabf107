//! A shop's Admin API tokens. A legacy app's static token is read from the shop's secrets; a Dev Dashboard
//! app's tokens come from the client credentials grant, expire after about a day, and are shared: each
//! Lambda keeps the current one in memory, every Lambda finds it in the table, and when it is about to
//! expire (or Shopify refuses it) one Lambda takes the lease and fetches the next while the others wait
//! for it. A token is never logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tally_domain::shop::{Access, Shop, ShopDomain};
use tally_domain::Time;

use crate::ports::shopify::{FetchedToken, TokenFuture};
use crate::ports::store::{Held, SharedToken, ShopRecords, Tokens};
use crate::ports::{Shopify, ShopifyError, Store, TokenSource};
use crate::Deps;

/// A token is renewed when it has less than a tenth of its life left, and at most this: no call starts
/// with a token about to end.
const RENEW_BEFORE: Duration = Duration::from_secs(300);
/// How long the Lambda fetching a token holds the lease, at most (it lets go as soon as it is done, or failed).
const LEASE: Duration = Duration::from_secs(10);
/// How long the others wait for it, at most: well within the shortest function's timeout (the webhooks' 5 s).
const WAIT_AT_MOST: Duration = Duration::from_secs(3);
const WAIT_STEP: Duration = Duration::from_millis(200);

/// The tokens this Lambda knows, by shop.
#[derive(Clone, Default)]
pub struct TokenCache(Arc<Mutex<HashMap<ShopDomain, SharedToken>>>);

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache(…)")
    }
}

impl TokenCache {
    fn get(&self, domain: &ShopDomain) -> Option<SharedToken> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(domain).cloned()
    }

    fn put(&self, domain: &ShopDomain, token: &SharedToken) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(domain.clone(), token.clone());
    }

    /// Forgets what this Lambda knows of the shop's token (its credentials changed).
    pub fn forget(&self, domain: &ShopDomain) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(domain);
    }
}

/// The shop's Admin API for a request that must be done with Shopify by `deadline`, with its tokens.
pub fn shopify<'a, S: Store, H: Shopify>(
    deps: &'a Deps<S, H>,
    shop: &'a Shop,
    deadline: Option<Instant>,
) -> H::Shop<'a> {
    deps.shopify.shop(shop, Box::new(ShopTokens { deps, shop }), deadline)
}

struct ShopTokens<'a, S, H> {
    deps: &'a Deps<S, H>,
    shop: &'a Shop,
}

impl<S: Store, H: Shopify> TokenSource for ShopTokens<'_, S, H> {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move { self.current(None).await.map_err(unavailable) })
    }

    fn renew<'a>(&'a self, rejected: &'a str) -> TokenFuture<'a> {
        Box::pin(async move { self.current(Some(rejected)).await.map_err(unavailable) })
    }
}

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
enum NoToken {
    #[error("the store failed")]
    Store(#[from] crate::ports::StoreError),
    #[error("a static-token shop has no token")]
    NoStaticToken,
    #[error("the shop has no client secret")]
    NoSecret,
    #[error("Shopify gave no token ({0})")]
    Refused(ShopifyError),
    #[error("another Lambda is still fetching it")]
    StillFetching,
}

impl<S: Store, H: Shopify> ShopTokens<'_, S, H> {
    /// A token that works, other than `rejected` if Shopify just refused that one.
    async fn current(&self, rejected: Option<&str>) -> Result<String, NoToken> {
        let store = self.deps.store.shop(&self.shop.domain);
        let (domain, cache) = (&self.shop.domain, &self.deps.tokens);
        let now = || self.deps.now();
        let Access::ClientCredentials { client_id } = &self.shop.access else {
            // A static token lasts until it is replaced: kept until Shopify refuses it.
            if let Some(known) = cache.get(domain).filter(|t| Some(t.token.as_str()) != rejected) {
                return Ok(known.token);
            }
            let token = store.static_token().await?.ok_or(NoToken::NoStaticToken)?;
            cache.put(domain, &SharedToken { token: token.clone(), valid_until: now(), renew_after: now() });
            return Ok(token);
        };
        let usable = |t: &SharedToken| Some(t.token.as_str()) != rejected && t.renew_after > now();
        if let Some(known) = cache.get(domain).filter(usable) {
            return Ok(known.token);
        }
        cache.forget(domain);
        for _ in 0..(WAIT_AT_MOST.as_millis() / WAIT_STEP.as_millis()) {
            let shared = store.shared_token().await?;
            if let Some(shared) = shared.clone().filter(usable) {
                cache.put(domain, &shared);
                return Ok(shared.token);
            }
            let lease = now() + LEASE;
            if store.lease_token(now(), lease).await? == Held::Taken {
                let fetched = match self.fetch(&store, client_id).await {
                    Ok(fetched) => fetched,
                    Err(e) => {
                        // The next caller tries for itself rather than wait out a lease nobody is using.
                        store.release_lease(lease).await?;
                        return Err(e);
                    }
                };
                store.share_token(&fetched).await?;
                cache.put(domain, &fetched);
                return Ok(fetched.token);
            }
            // Another Lambda is fetching; the old token serves meanwhile if it still works at all.
            if let Some(old) = shared.filter(|t| Some(t.token.as_str()) != rejected && t.valid_until > now()) {
                return Ok(old.token);
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
        Err(NoToken::StillFetching)
    }

    async fn fetch(&self, store: &impl ShopRecords, client_id: &str) -> Result<SharedToken, NoToken> {
        let secret = store.client_secret().await?.ok_or(NoToken::NoSecret)?;
        let fetched = self.deps.shopify.fetch_token(&self.shop.admin_url, client_id, &secret).await.map_err(|e| {
            tracing::error!(shop = %self.shop.domain, error = %e, "could not obtain an Admin API token");
            NoToken::Refused(e)
        })?;
        tracing::info!(shop = %self.shop.domain, lifetime_s = fetched.expires_in, "obtained an Admin API token");
        Ok(shared(fetched, self.deps.now()))
    }
}

/// The longest a token is trusted for, whatever Shopify says of it (its tokens last about a day).
const LONGEST_LIFE: Duration = Duration::from_secs(7 * 24 * 3600);

/// A token just fetched at `now`, as it is shared.
pub(crate) fn shared(fetched: FetchedToken, now: Time) -> SharedToken {
    let lifetime = fetched.lifetime().min(LONGEST_LIFE);
    let valid_until = now + lifetime;
    SharedToken {
        token: fetched.access_token,
        valid_until,
        renew_after: valid_until - (lifetime / 10).min(RENEW_BEFORE),
    }
}

/// A token that could not be had: Shopify cannot be asked.
fn unavailable(e: NoToken) -> ShopifyError {
    ShopifyError::Unavailable(format!("no Admin API token ({e})"))
}
