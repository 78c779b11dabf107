//! Shops and their API keys.

use super::errors::{internal, Conditional};
use super::records::shop::{ApiKeyRecord, SettingsRecord, ShopRecord, SETTINGS};
use super::records::{listed, to_item, PK};
use super::{keys, Store};
use crate::domain::error::TallyError;
use crate::domain::ids::hash_api_key;
use crate::domain::shop::{Shop, ShopSettings};
use crate::domain::Time;

const EXISTS: &str = "attribute_exists(#pk)";

impl Store {
    /// Creates a shop; a shop that exists already is refused.
    pub async fn create_shop(&self, shop: &Shop) -> Result<(), TallyError> {
        let item =
            listed(to_item(&ShopRecord::from(shop), keys::shop(&shop.domain))?, keys::shop_listing(&shop.domain));
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK.name())
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.refused().is_some() => Err(TallyError::ShopExists(shop.domain.clone())),
            Err(err) => Err(internal(err)),
        }
    }

    pub async fn get_shop(&self, domain: &str) -> Result<Option<Shop>, TallyError> {
        Ok(self.get::<ShopRecord>(keys::shop(domain)).await?.map(Shop::from))
    }

    /// Replaces the shop's settings.
    pub async fn set_shop_settings(&self, domain: &str, settings: &ShopSettings) -> Result<(), TallyError> {
        let value = serde_dynamo::to_attribute_value(SettingsRecord::from(settings)).map_err(TallyError::internal)?;
        let result = self
            .update_item(keys::shop(domain))
            .condition_expression(EXISTS)
            .update_expression("SET #settings = :settings")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#settings", SETTINGS.name())
            .expression_attribute_values(":settings", value)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if err.refused().is_some() => Err(TallyError::ShopNotFound(domain.into())),
            Err(err) => Err(internal(err)),
        }
    }

    /// Stores the hash of `key` as a key of `domain`.
    pub async fn add_api_key(&self, domain: &str, key: &str, at: Time) -> Result<(), TallyError> {
        if self.get_shop(domain).await?.is_none() {
            return Err(TallyError::ShopNotFound(domain.into()));
        }
        let record = ApiKeyRecord { shop: domain.into(), created_at: at };
        self.client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(to_item(&record, keys::api_key(&hash_api_key(key)))?))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// The shop an API key opens, if any.
    pub async fn shop_for_api_key(&self, key: &str) -> Result<Option<Shop>, TallyError> {
        let Some(record) = self.get::<ApiKeyRecord>(keys::api_key(&hash_api_key(key))).await? else {
            return Ok(None);
        };
        self.get_shop(&record.shop).await
    }
}
