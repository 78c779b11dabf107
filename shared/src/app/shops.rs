//! Shops: found by an API key or by the domain a webhook comes from; connected as a Dev Dashboard app (or,
//! legacy, with a static token); their secret rotated; uninstalled.

use super::{access, now, Deps};
use crate::domain::error::TallyError;
use crate::domain::shop::{Access, Shop, ShopSecrets, ShopStatus};
use crate::shopify::ShopifyError;

/// The webhook topics Tally subscribes a shop to, as Shopify's GraphQL names them.
pub const TOPICS: [&str; 5] =
    ["ORDERS_CREATE", "ORDERS_CANCELLED", "REFUNDS_CREATE", "CUSTOMERS_CREATE", "APP_UNINSTALLED"];

/// The shop an API key opens, if any.
pub async fn by_api_key(deps: &Deps, key: &str) -> Result<Option<Shop>, TallyError> {
    deps.store.shop_for_api_key(key).await
}

pub async fn by_domain(deps: &Deps, domain: &str) -> Result<Option<Shop>, TallyError> {
    deps.store.get_shop(domain).await
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

/// Connects `shop`, a Dev Dashboard app with `secrets`. The credentials are proved first (a token is
/// obtained): wrong ones are `BAD_CREDENTIALS` and nothing is stored. Then the shop is stored (created, or
/// reinstated with its rules and customers) and, given a `webhook_url`, subscribed to `TOPICS`, once each.
pub async fn connect(
    deps: &Deps,
    shop: &Shop,
    secrets: &ShopSecrets,
    webhook_url: Option<&str>,
) -> Result<Connected, TallyError> {
    let Access::ClientCredentials { client_id } = &shop.access else {
        return Err(TallyError::internal("connect is for client-credentials apps"));
    };
    let token =
        deps.shopify.fetch_token(&shop.admin_url, client_id, &secrets.client_secret).await.map_err(|e| match e {
            ShopifyError::Refused(_) => TallyError::BadCredentials(e.into()),
            other => super::shopify_down(other),
        })?;
    let new = deps.store.connect_shop(shop, secrets).await?;
    access::forget(deps, &shop.domain);
    // The token that proved the credentials serves the calls that follow.
    deps.store.share_token(&shop.domain, &access::shared(token)).await?;
    let (mut subscribed, mut already, mut elsewhere) = (Vec::new(), Vec::new(), Vec::new());
    if let Some(url) = webhook_url {
        let shopify = access::shopify(deps, shop);
        let existing = shopify.webhook_subscriptions().await.map_err(super::shopify_down)?;
        let others = existing.iter().filter(|(t, uri)| TOPICS.contains(&t.as_str()) && uri != url);
        elsewhere.extend(others.cloned());
        for topic in TOPICS {
            if existing.iter().any(|(t, uri)| t == topic && uri == url) {
                already.push(topic.to_string());
                continue;
            }
            shopify.subscribe(topic, url).await.map_err(super::shopify_down)?;
            subscribed.push(topic.to_string());
        }
    }
    tracing::info!(shop = %shop.domain, new, subscribed = subscribed.len(), "shop connected");
    Ok(Connected { new, subscribed, already, elsewhere })
}

/// Replaces a Dev Dashboard app's client secret, once Shopify accepts it.
pub async fn rotate_secret(deps: &Deps, domain: &str, client_secret: &str) -> Result<(), TallyError> {
    let shop = deps.store.get_shop(domain).await?.ok_or_else(|| TallyError::ShopNotFound(domain.into()))?;
    let mut secrets = deps.store.shop_secrets(domain).await?.ok_or_else(|| TallyError::internal("no secrets"))?;
    if let Access::ClientCredentials { client_id } = &shop.access {
        let tried = deps.shopify.fetch_token(&shop.admin_url, client_id, client_secret).await;
        tried.map_err(|e| match e {
            ShopifyError::Refused(_) => TallyError::BadCredentials(e.into()),
            other => super::shopify_down(other),
        })?;
    }
    secrets.client_secret = client_secret.to_string();
    deps.store.put_secrets(domain, &secrets).await?;
    deps.store.forget_token(domain).await?;
    access::forget(deps, domain);
    tracing::info!(shop = domain, "client secret rotated");
    Ok(())
}

/// The app was uninstalled from the shop: writes are refused from now on, reads still work, the jobs pass
/// the shop by, its token is forgotten. Nothing is deleted (Shopify's `shop/redact` does that, later).
pub async fn uninstalled(deps: &Deps, shop: &Shop) -> Result<(), TallyError> {
    deps.store.set_shop_status(&shop.domain, ShopStatus::Uninstalled, now()).await?;
    deps.store.forget_token(&shop.domain).await?;
    access::forget(deps, &shop.domain);
    tracing::warn!(shop = %shop.domain, "the app was uninstalled");
    Ok(())
}
