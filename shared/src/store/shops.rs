//! Shops and their API keys.

use super::{internal, is_condition_failure, keys, listed, to_item, Store};
use crate::domain::error::TallyError;
use crate::domain::ids::hash_api_key;
use crate::domain::shop::{Shop, ShopSettings};
use serde::{Deserialize, Serialize};

/// What the table keeps of an API key: the shop it opens, never the key itself.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ApiKeyRecord {
    shop: String,
    created_at: String,
}

impl Store {
    /// Creates a shop; a shop that exists already is refused.
    pub async fn create_shop(&self, shop: &Shop) -> Result<(), TallyError> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(listed(to_item(shop, keys::shop(&shop.domain))?, keys::shop_listing(&shop.domain))))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", keys::PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => {
                Err(TallyError::invalid(format!("shop {} exists already", shop.domain)))
            }
            Err(err) => Err(internal(err)),
        }
    }

    pub async fn get_shop(&self, domain: &str) -> Result<Option<Shop>, TallyError> {
        self.get(keys::shop(domain)).await
    }

    /// Replaces the shop's settings.
    pub async fn set_shop_settings(&self, domain: &str, settings: &ShopSettings) -> Result<(), TallyError> {
        let (pk, sk) = keys::shop(domain);
        let value = serde_dynamo::to_attribute_value(settings).map_err(TallyError::internal)?;
        let result = self
            .update_item((pk, sk))
            .condition_expression("attribute_exists(#pk)")
            .update_expression("SET #settings = :settings")
            .expression_attribute_names("#pk", keys::PK)
            .expression_attribute_names("#settings", "settings")
            .expression_attribute_values(":settings", value)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(err) if is_condition_failure(&err) => Err(TallyError::invalid(format!("no shop {domain}"))),
            Err(err) => Err(internal(err)),
        }
    }

    /// Stores the hash of `key` as a key of `domain`.
    pub async fn add_api_key(&self, domain: &str, key: &str) -> Result<(), TallyError> {
        if self.get_shop(domain).await?.is_none() {
            return Err(TallyError::invalid(format!("no shop {domain}; create it first")));
        }
        let record = ApiKeyRecord { shop: domain.into(), created_at: crate::domain::rfc3339(crate::domain::now()) };
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
