//! A shop's Admin API tokens. A legacy app's static token is read from the shop's secrets; a Dev Dashboard
//! app's tokens come from the client credentials grant, expire after about a day, and are shared: each
//! Lambda keeps the current one in memory, every Lambda finds it in the table, and when it is about to
//! expire (or Shopify refuses it) one Lambda takes the lease and fetches the next while the others wait
//! for it. A token is never logged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{now, Deps};
use crate::domain::error::TallyError;
use crate::domain::shop::{Access, Shop};
use crate::shopify::{ShopifyClient, ShopifyError, TokenFuture, TokenSource};
use crate::store::SharedToken;

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
pub struct TokenCache(Arc<Mutex<HashMap<String, SharedToken>>>);

impl std::fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache(…)")
    }
}

impl TokenCache {
    fn get(&self, domain: &str) -> Option<SharedToken> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).get(domain).cloned()
    }

    fn put(&self, domain: &str, token: &SharedToken) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).insert(domain.into(), token.clone());
    }

    fn forget(&self, domain: &str) {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).remove(domain);
    }
}

/// The shop's Admin API, with its tokens.
pub fn shopify<'a>(deps: &'a Deps, shop: &'a Shop) -> ShopifyClient<'a> {
    deps.shopify.for_shop(shop, Box::new(ShopTokens { deps, shop }))
}

/// The shop's client secret, if it has one (a shop never connected properly has none).
pub async fn client_secret(deps: &Deps, domain: &str) -> Result<Option<String>, TallyError> {
    deps.store.client_secret(domain).await
}

struct ShopTokens<'a> {
    deps: &'a Deps,
    shop: &'a Shop,
}

impl TokenSource for ShopTokens<'_> {
    fn token(&self) -> TokenFuture<'_> {
        Box::pin(async move { self.current(None).await.map_err(unavailable) })
    }

    fn renew<'a>(&'a self, rejected: &'a str) -> TokenFuture<'a> {
        Box::pin(async move { self.current(Some(rejected)).await.map_err(unavailable) })
    }
}

impl ShopTokens<'_> {
    /// A token that works, other than `rejected` if Shopify just refused that one.
    async fn current(&self, rejected: Option<&str>) -> Result<String, TallyError> {
        let Access::ClientCredentials { client_id } = &self.shop.access else {
            let token = self.deps.store.static_token(&self.shop.domain).await?;
            return token.ok_or_else(|| TallyError::internal("a static-token shop has no token"));
        };
        let (domain, cache) = (&self.shop.domain, &self.deps.tokens);
        let usable = |t: &SharedToken| Some(t.token.as_str()) != rejected && t.renew_after > now();
        if let Some(known) = cache.get(domain).filter(usable) {
            return Ok(known.token);
        }
        cache.forget(domain);
        let store = &self.deps.store;
        for _ in 0..(WAIT_AT_MOST.as_millis() / WAIT_STEP.as_millis()) {
            let shared = store.shared_token(domain).await?;
            if let Some(shared) = shared.clone().filter(usable) {
                cache.put(domain, &shared);
                return Ok(shared.token);
            }
            let lease = now() + LEASE;
            if store.lease_token(domain, now(), lease).await? {
                let fetched = match self.fetch(client_id).await {
                    Ok(fetched) => fetched,
                    Err(e) => {
                        // The next caller tries for itself rather than wait out a lease nobody is using.
                        store.release_token_lease(domain, lease).await?;
                        return Err(e);
                    }
                };
                store.share_token(domain, &fetched).await?;
                cache.put(domain, &fetched);
                return Ok(fetched.token);
            }
            // Another Lambda is fetching; the old token serves meanwhile if it still works at all.
            if let Some(old) = shared.filter(|t| Some(t.token.as_str()) != rejected && t.valid_until > now()) {
                return Ok(old.token);
            }
            tokio::time::sleep(WAIT_STEP).await;
        }
        Err(TallyError::internal("no token: another Lambda is still fetching it"))
    }

    async fn fetch(&self, client_id: &str) -> Result<SharedToken, TallyError> {
        let secret = client_secret(self.deps, &self.shop.domain)
            .await?
            .ok_or_else(|| TallyError::internal(format!("shop {} has no client secret", self.shop.domain)))?;
        let fetched = self.deps.shopify.fetch_token(&self.shop.admin_url, client_id, &secret).await.map_err(|e| {
            tracing::error!(shop = %self.shop.domain, error = %e, "could not obtain an Admin API token");
            TallyError::internal(e)
        })?;
        tracing::info!(shop = %self.shop.domain, lifetime_s = fetched.expires_in, "obtained an Admin API token");
        Ok(shared(fetched))
    }
}

/// A token just fetched, as it is shared.
pub(crate) fn shared(fetched: crate::shopify::FetchedToken) -> SharedToken {
    let lifetime = fetched.lifetime();
    let valid_until = now() + lifetime;
    SharedToken {
        token: fetched.access_token,
        valid_until,
        renew_after: valid_until - (lifetime / 10).min(RENEW_BEFORE),
    }
}

/// A token that could not be had: Shopify cannot be asked.
fn unavailable(e: TallyError) -> ShopifyError {
    ShopifyError::Unavailable(format!("no Admin API token ({e})"))
}

/// Forgets what this Lambda knows of the shop's token (its credentials changed).
pub fn forget(deps: &Deps, domain: &str) {
    deps.tokens.forget(domain);
}
