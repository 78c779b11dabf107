//! The shops callers name: by an API key, or by the domain a webhook comes from.

use super::Deps;
use crate::domain::error::TallyError;
use crate::domain::shop::Shop;

/// The shop an API key opens, if any.
pub async fn by_api_key(deps: &Deps, key: &str) -> Result<Option<Shop>, TallyError> {
    deps.store.shop_for_api_key(key).await
}

pub async fn by_domain(deps: &Deps, domain: &str) -> Result<Option<Shop>, TallyError> {
    deps.store.get_shop(domain).await
}
