//! Changes to stored data between versions, run once by an operator (`tally-cli shop migrate-secrets`).

use super::errors::internal;
use super::records::from_item;
use super::records::shop::{LegacySecretsRecord, LEGACY_ACCESS_TOKEN, LEGACY_CLIENT_SECRET};
use super::{keys, SortKey, Store};
use crate::domain::error::TallyError;
use crate::domain::shop::ShopSecrets;

impl Store {
    /// Shops saved before secrets had items of their own kept `accessToken` and `clientSecret` in the shop's
    /// item, which every function may read. Each such shop's secrets go to its secrets item (unless it has
    /// one already, from a connect or a rotation since), then leave the shop's item. Returns the shops
    /// moved; a second run finds none.
    pub async fn move_legacy_secrets(&self) -> Result<Vec<String>, TallyError> {
        let mut moved = Vec::new();
        for item in self.query_listing(keys::SHOPS.into(), SortKey::Any).await? {
            let legacy: LegacySecretsRecord = from_item(item)?;
            let (domain, Some(client_secret)) = (legacy.domain, legacy.client_secret) else { continue };
            if self.shop_secrets(&domain).await?.is_none() {
                let token = legacy.access_token.as_deref();
                let secrets = ShopSecrets::new(&client_secret, token).map_err(TallyError::internal)?;
                self.put_secrets(&domain, &secrets).await?;
            }
            self.update_item(keys::shop(&domain))
                .update_expression("REMOVE #token, #secret")
                .expression_attribute_names("#token", LEGACY_ACCESS_TOKEN.name())
                .expression_attribute_names("#secret", LEGACY_CLIENT_SECRET.name())
                .send()
                .await
                .map_err(internal)?;
            moved.push(domain);
        }
        Ok(moved)
    }
}
