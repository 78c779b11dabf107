//! Shops and their API keys.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put};

use super::errors::{internal, Conditional};
use super::records::shop::{
    ApiKeyRecord, SecretsRecord, SettingsRecord, ShopKeyRecord, ShopRecord, StaticTokenRecord, ACCESS, ADMIN_URL,
    CLIENT_ID, CODE_PREFIX, CONNECTED_AT, CURRENCY, KEY_SHOP, LEGACY_ACCESS_TOKEN, LEGACY_CLIENT_SECRET, SETTINGS,
    STATUS, UNINSTALLED_AT,
};
use super::records::{from_item, listed, rfc3339, text, to_item, PK, SK};
use super::transaction::{Part, Transaction, TxError};
use super::{keys, SortKey, Store};
use crate::domain::error::TallyError;
use crate::domain::ids::hash_api_key;
use crate::domain::shop::{Shop, ShopSecrets, ShopSettings, ShopStatus};
use crate::domain::Time;

const EXISTS: &str = "attribute_exists(#pk)";

impl Store {
    /// Creates a shop with its secrets, kept apart; a shop that exists already is refused.
    pub async fn create_shop(&self, shop: &Shop, secrets: &ShopSecrets) -> Result<(), TallyError> {
        let item =
            listed(to_item(&ShopRecord::from(shop), keys::shop(&shop.domain))?, keys::shop_listing(&shop.domain));
        let mut transaction = Transaction::new();
        transaction.put_new(&self.table, Part::Shop, item)?;
        self.secrets_puts(&mut transaction, &shop.domain, secrets)?;
        match transaction.commit(&self.client).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(why)) if why.refused(Part::Shop) => Err(TallyError::ShopExists(shop.domain.clone())),
            Err(TxError::Cancelled(_)) => Err(TallyError::Busy),
            Err(TxError::Failed(e)) => Err(e),
        }
    }

    /// Connects a shop: creates it, or gives one that exists (perhaps uninstalled) its new access, admin URL,
    /// currency and code prefix and makes it active again, keeping its rules, settings and customers. Its
    /// secrets are replaced and its cached token forgotten. Returns whether the shop was new.
    pub async fn connect_shop(&self, shop: &Shop, secrets: &ShopSecrets) -> Result<bool, TallyError> {
        match self.create_shop(shop, secrets).await {
            Ok(()) => return Ok(true),
            Err(TallyError::ShopExists(_)) => {}
            Err(e) => return Err(e),
        }
        let record = ShopRecord::from(shop);
        let access = serde_dynamo::to_attribute_value(record.access).map_err(TallyError::internal)?;
        let mut update = self
            .update_item(keys::shop(&shop.domain))
            .condition_expression(EXISTS)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#access", ACCESS.name())
            .expression_attribute_names("#clientId", CLIENT_ID.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#currency", CURRENCY.name())
            .expression_attribute_names("#adminUrl", ADMIN_URL.name())
            .expression_attribute_names("#codePrefix", CODE_PREFIX.name())
            .expression_attribute_names("#uninstalledAt", UNINSTALLED_AT.name())
            // Secrets a shop saved before they had items of their own kept in its item leave it.
            .expression_attribute_names("#legacyToken", LEGACY_ACCESS_TOKEN.name())
            .expression_attribute_names("#legacySecret", LEGACY_CLIENT_SECRET.name())
            .expression_attribute_names("#connectedAt", CONNECTED_AT.name())
            .expression_attribute_values(":connectedAt", text(rfc3339(shop.connected_at)))
            .expression_attribute_values(":access", access)
            .expression_attribute_values(":status", text(ShopStatus::Active.as_str()))
            .expression_attribute_values(":currency", text(&shop.currency))
            .expression_attribute_values(":adminUrl", text(&shop.admin_url))
            .expression_attribute_values(":codePrefix", text(&shop.code_prefix));
        update = match &record.client_id {
            Some(id) => update
                .update_expression("SET #access = :access, #clientId = :clientId, #status = :status, #currency = :currency, #adminUrl = :adminUrl, #codePrefix = :codePrefix, #connectedAt = :connectedAt REMOVE #uninstalledAt, #legacyToken, #legacySecret")
                .expression_attribute_values(":clientId", text(id)),
            None => update.update_expression("SET #access = :access, #status = :status, #currency = :currency, #adminUrl = :adminUrl, #codePrefix = :codePrefix, #connectedAt = :connectedAt REMOVE #clientId, #uninstalledAt, #legacyToken, #legacySecret"),
        };
        update.send().await.map_err(internal)?;
        self.put_secrets(&shop.domain, secrets).await?;
        self.forget_token(&shop.domain).await?;
        Ok(false)
    }

    /// The shop's secrets: its client secret and, for a legacy app, its static token (two items, since not
    /// every function may read both).
    pub async fn shop_secrets(&self, domain: &str) -> Result<Option<ShopSecrets>, TallyError> {
        let Some(client_secret) = self.client_secret(domain).await? else { return Ok(None) };
        let static_token = self.static_token(domain).await?;
        Ok(Some(ShopSecrets { client_secret, static_token }))
    }

    /// The app's client secret, which verifies webhooks and App Proxy requests.
    pub async fn client_secret(&self, domain: &str) -> Result<Option<String>, TallyError> {
        Ok(self.get::<SecretsRecord>(keys::secrets(domain)).await?.map(|r| r.client_secret))
    }

    /// A legacy app's static Admin API token.
    pub async fn static_token(&self, domain: &str) -> Result<Option<String>, TallyError> {
        Ok(self.get::<StaticTokenRecord>(keys::static_token(domain)).await?.map(|r| r.static_token))
    }

    /// Replaces the shop's secrets (a rotated client secret; a legacy token, or none).
    pub async fn put_secrets(&self, domain: &str, secrets: &ShopSecrets) -> Result<(), TallyError> {
        let mut transaction = Transaction::new();
        self.secrets_puts(&mut transaction, domain, secrets)?;
        if secrets.static_token.is_none() {
            let (pk, sk) = keys::static_token(domain);
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(PK.name(), AttributeValue::S(pk))
                .key(SK.name(), AttributeValue::S(sk))
                .build()
                .map_err(TallyError::internal)?;
            transaction.delete(Part::StaticToken, delete);
        }
        transaction.commit(&self.client).await.map_err(|e| match e {
            TxError::Cancelled(_) => TallyError::Busy,
            TxError::Failed(e) => e,
        })
    }

    /// The puts of the shop's secrets items, into `transaction`.
    fn secrets_puts(
        &self,
        transaction: &mut Transaction,
        domain: &str,
        secrets: &ShopSecrets,
    ) -> Result<(), TallyError> {
        let client_secret = SecretsRecord { client_secret: secrets.client_secret.clone() };
        transaction.put(Part::Secrets, self.put(to_item(&client_secret, keys::secrets(domain))?)?);
        if let Some(token) = &secrets.static_token {
            let token = StaticTokenRecord { static_token: token.clone() };
            transaction.put(Part::StaticToken, self.put(to_item(&token, keys::static_token(domain))?)?);
        }
        Ok(())
    }

    fn put(&self, item: super::records::Item) -> Result<Put, TallyError> {
        Put::builder().table_name(&self.table).set_item(Some(item)).build().map_err(TallyError::internal)
    }

    /// The app was uninstalled from the shop (or installed again).
    pub async fn set_shop_status(&self, domain: &str, status: ShopStatus, at: Time) -> Result<(), TallyError> {
        let update = self
            .update_item(keys::shop(domain))
            .condition_expression(EXISTS)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#uninstalledAt", UNINSTALLED_AT.name())
            .expression_attribute_values(":status", text(status.as_str()));
        let update = match status {
            ShopStatus::Uninstalled => update
                .update_expression("SET #status = :status, #uninstalledAt = :at")
                .expression_attribute_values(":at", text(rfc3339(at))),
            ShopStatus::Active => update.update_expression("SET #status = :status REMOVE #uninstalledAt"),
        };
        match update.send().await {
            Ok(_) => Ok(()),
            Err(err) if err.refused().is_some() => Err(TallyError::ShopNotFound(domain.into())),
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

    /// Stores the hash of `key` as a key of `domain`. A key that opens another shop is refused, never moved.
    pub async fn add_api_key(&self, domain: &str, key: &str, at: Time) -> Result<(), TallyError> {
        if self.get_shop(domain).await?.is_none() {
            return Err(TallyError::ShopNotFound(domain.into()));
        }
        let hash = hash_api_key(key);
        let opens = ApiKeyRecord { shop: domain.into(), created_at: at };
        let put = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&opens, keys::api_key(&hash))?))
            .condition_expression("attribute_not_exists(#pk) OR #shop = :shop")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#shop", KEY_SHOP.name())
            .expression_attribute_values(":shop", text(domain))
            .build()
            .map_err(TallyError::internal)?;
        let listed = ShopKeyRecord { hash: hash.clone(), prefix: key_prefix(key), created_at: at };
        let listing = Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&listed, keys::shop_key(domain, &hash))?))
            .build()
            .map_err(TallyError::internal)?;
        let mut transaction = Transaction::new();
        transaction.put(Part::Key, put).put(Part::Listing, listing);
        match transaction.commit(&self.client).await {
            Ok(()) => Ok(()),
            Err(TxError::Cancelled(why)) if why.refused(Part::Key) => Err(TallyError::KeyInUse),
            Err(TxError::Cancelled(_)) => Err(TallyError::Busy),
            Err(TxError::Failed(e)) => Err(e),
        }
    }

    /// The shop's keys (those made since keys were listed per shop), as their prefixes and creation times.
    pub async fn list_api_keys(&self, domain: &str) -> Result<Vec<(String, Time)>, TallyError> {
        let (pk, prefix) = keys::shop_keys(domain);
        let items = self.query(pk, SortKey::Prefix(prefix)).await?;
        let keys: Vec<ShopKeyRecord> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(keys.into_iter().map(|k| (k.prefix, k.created_at)).collect())
    }

    /// Revokes the shop's key that starts with `prefix`; returns how many keys matched (only one is
    /// revoked, and only when exactly one matches).
    pub async fn revoke_api_key(&self, domain: &str, prefix: &str) -> Result<usize, TallyError> {
        let (pk, listing_prefix) = keys::shop_keys(domain);
        let items = self.query(pk, SortKey::Prefix(listing_prefix)).await?;
        let keys: Vec<ShopKeyRecord> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        let matching: Vec<&ShopKeyRecord> = keys.iter().filter(|k| k.prefix.starts_with(prefix)).collect();
        let [key] = matching.as_slice() else { return Ok(matching.len()) };
        let mut transaction = Transaction::new();
        for (part, (pk, sk)) in
            [(Part::Key, keys::api_key(&key.hash)), (Part::Listing, keys::shop_key(domain, &key.hash))]
        {
            let delete = Delete::builder()
                .table_name(&self.table)
                .key(PK.name(), text(pk))
                .key(SK.name(), text(sk))
                .build()
                .map_err(TallyError::internal)?;
            transaction.delete(part, delete);
        }
        match transaction.commit(&self.client).await {
            Ok(()) => Ok(1),
            Err(TxError::Cancelled(_)) => Err(TallyError::Busy),
            Err(TxError::Failed(e)) => Err(e),
        }
    }

    /// The shop an API key opens, if any.
    pub async fn shop_for_api_key(&self, key: &str) -> Result<Option<Shop>, TallyError> {
        let Some(record) = self.get::<ApiKeyRecord>(keys::api_key(&hash_api_key(key))).await? else {
            return Ok(None);
        };
        self.get_shop(&record.shop).await
    }
}

/// The first characters of a key, shown to tell keys apart: `tly_` and 8 more.
fn key_prefix(key: &str) -> String {
    key.chars().take(12).collect()
}
