//! A shop's own item, its secrets (in items of their own, which IAM guards), and its API keys.

use aws_sdk_dynamodb::types::{AttributeValue, Delete, Put, ReturnValue, TransactWriteItem};
use tally_app::ports::store::{ApiKeys, Created, Found, Held, ListedKey, ShopRecords, StoreResult};
use tally_app::ports::StoreError;
use tally_domain::ids::RuleId;
use tally_domain::shop::{Shop, ShopSecrets, ShopSettings, ShopStatus};
use tally_domain::Time;

use crate::errors::{failed, unbuilt, written, Written};
use crate::records::shop::{
    ApiKeyRecord, SecretsRecord, SettingsRecord, ShopKeyRecord, ShopRecord, StaticTokenRecord, ACCESS, ADMIN_URL,
    CLIENT_ID, CODE_PREFIX, CONNECTED_AT, CURRENCY, KEY_SHOP, LAST_RULE_ID, LEGACY_ACCESS_TOKEN, LEGACY_CLIENT_SECRET,
    SETTINGS, STATUS, UNINSTALLED_AT,
};
use crate::records::{from_item, listed, number, rfc3339, text, to_item, PK, SK};
use crate::transaction::{self, Part, TxError};
use crate::{keys, ShopTable, SortKey};

const EXISTS: &str = "attribute_exists(#pk)";

impl ShopTable<'_> {
    fn update(
        &self,
        (pk, sk): keys::Key,
    ) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        self.store
            .client
            .update_item()
            .table_name(&self.store.table)
            .key(PK.name(), AttributeValue::S(pk))
            .key(SK.name(), AttributeValue::S(sk))
    }

    fn plain_put(&self, item: crate::records::Item) -> StoreResult<TransactWriteItem> {
        let put = Put::builder().table_name(&self.store.table).set_item(Some(item)).build().map_err(unbuilt)?;
        Ok(TransactWriteItem::builder().put(put).build())
    }

    /// The items of the shop's secrets: its client secret and, for a legacy app, its static token (or the
    /// deletion of one it no longer has).
    fn secrets_items(&self, secrets: &ShopSecrets) -> StoreResult<Vec<(Part, TransactWriteItem)>> {
        let domain = self.domain;
        let client_secret = SecretsRecord { client_secret: secrets.client_secret.clone() };
        let mut items = vec![(Part::Other, self.plain_put(to_item(&client_secret, keys::secrets(domain))?)?)];
        let token_item = match &secrets.static_token {
            Some(token) => self
                .plain_put(to_item(&StaticTokenRecord { static_token: token.clone() }, keys::static_token(domain))?)?,
            None => {
                let (pk, sk) = keys::static_token(domain);
                let delete =
                    Delete::builder().table_name(&self.store.table).key(PK.name(), text(pk)).key(SK.name(), text(sk));
                TransactWriteItem::builder().delete(delete.build().map_err(unbuilt)?).build()
            }
        };
        items.push((Part::Other, token_item));
        Ok(items)
    }

    async fn set_or_missing(
        &self,
        update: aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder,
    ) -> StoreResult<Found> {
        let update = update.condition_expression(EXISTS).expression_attribute_names("#pk", PK.name());
        Ok(match written(update.send().await)? {
            Written::Done => Found::Yes,
            Written::Refused => Found::No,
        })
    }
}

fn transaction_failed(e: TxError) -> StoreError {
    match e {
        TxError::Failed(e) => e,
        TxError::Cancelled(_) => StoreError("a write of the shop's secrets raced another".into()),
    }
}

impl ShopRecords for ShopTable<'_> {
    async fn get(&self) -> StoreResult<Option<Shop>> {
        self.store.get::<ShopRecord>(keys::shop(self.domain)).await?.map(Shop::try_from).transpose()
    }

    async fn create(&self, shop: &Shop, secrets: &ShopSecrets) -> StoreResult<Created> {
        let item = listed(to_item(&ShopRecord::from(shop), keys::shop(self.domain))?, keys::shop_listing(self.domain));
        let put = Put::builder()
            .table_name(&self.store.table)
            .set_item(Some(item))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK.name())
            .build()
            .map_err(unbuilt)?;
        let mut items = vec![(Part::Profile, TransactWriteItem::builder().put(put).build())];
        items.extend(self.secrets_items(secrets)?);
        match transaction::commit(&self.store.client, items).await {
            Ok(()) => Ok(Created::New),
            Err(TxError::Cancelled(why)) if why.refused().is_some_and(|(part, _)| part == Part::Profile) => {
                Ok(Created::Exists)
            }
            Err(e) => Err(transaction_failed(e)),
        }
    }

    async fn reconnect(&self, shop: &Shop, secrets: &ShopSecrets) -> StoreResult<()> {
        let record = ShopRecord::from(shop);
        let access = serde_dynamo::to_attribute_value(record.access).map_err(|e| StoreError(e.to_string()))?;
        let mut update = self
            .update(keys::shop(self.domain))
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
        let set = "SET #access = :access, #status = :status, #currency = :currency, #adminUrl = :adminUrl, #codePrefix = :codePrefix, #connectedAt = :connectedAt";
        update = match &record.client_id {
            Some(id) => update
                .update_expression(format!(
                    "{set}, #clientId = :clientId REMOVE #uninstalledAt, #legacyToken, #legacySecret"
                ))
                .expression_attribute_values(":clientId", text(id)),
            None => {
                update.update_expression(format!("{set} REMOVE #clientId, #uninstalledAt, #legacyToken, #legacySecret"))
            }
        };
        update.send().await.map_err(failed)?;
        self.put_secrets(secrets).await?;
        tally_app::ports::store::Tokens::forget_token(self).await
    }

    async fn set_status(&self, status: ShopStatus, at: Time) -> StoreResult<Found> {
        let update = self
            .update(keys::shop(self.domain))
            .expression_attribute_names("#status", STATUS.name())
            .expression_attribute_names("#uninstalledAt", UNINSTALLED_AT.name())
            .expression_attribute_values(":status", text(status.as_str()));
        let update = match status {
            ShopStatus::Uninstalled => update
                .update_expression("SET #status = :status, #uninstalledAt = :at")
                .expression_attribute_values(":at", text(rfc3339(at))),
            ShopStatus::Active => update.update_expression("SET #status = :status REMOVE #uninstalledAt"),
        };
        self.set_or_missing(update).await
    }

    async fn set_settings(&self, settings: &ShopSettings) -> StoreResult<Found> {
        let value =
            serde_dynamo::to_attribute_value(SettingsRecord::from(settings)).map_err(|e| StoreError(e.to_string()))?;
        let update = self
            .update(keys::shop(self.domain))
            .update_expression("SET #settings = :settings")
            .expression_attribute_names("#settings", SETTINGS.name())
            .expression_attribute_values(":settings", value);
        self.set_or_missing(update).await
    }

    async fn client_secret(&self) -> StoreResult<Option<String>> {
        Ok(self.store.get::<SecretsRecord>(keys::secrets(self.domain)).await?.map(|r| r.client_secret))
    }

    async fn static_token(&self) -> StoreResult<Option<String>> {
        Ok(self.store.get::<StaticTokenRecord>(keys::static_token(self.domain)).await?.map(|r| r.static_token))
    }

    async fn secrets(&self) -> StoreResult<Option<ShopSecrets>> {
        let Some(client_secret) = self.client_secret().await? else { return Ok(None) };
        Ok(Some(ShopSecrets { client_secret, static_token: self.static_token().await? }))
    }

    async fn put_secrets(&self, secrets: &ShopSecrets) -> StoreResult<()> {
        transaction::commit(&self.store.client, self.secrets_items(secrets)?).await.map_err(transaction_failed)
    }

    async fn rule_id_taken(&self, taken: RuleId) -> StoreResult<bool> {
        let output = self
            .update(keys::shop(self.domain))
            .condition_expression(format!("{EXISTS} AND (attribute_not_exists(#next) OR #next < :taken)"))
            .update_expression("SET #next = :taken")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#next", LAST_RULE_ID.name())
            .expression_attribute_values(":taken", number(taken.get()))
            .send()
            .await;
        match output {
            Ok(_) => Ok(true),
            // The counter is past it already, or there is no shop.
            Err(err) if crate::errors::Conditional::refused(&err).is_some() => Ok(self.get().await?.is_some()),
            Err(err) => Err(failed(err)),
        }
    }

    async fn next_rule_id(&self) -> StoreResult<Option<RuleId>> {
        let output = self
            .update(keys::shop(self.domain))
            .condition_expression(EXISTS)
            .update_expression("ADD #next :one")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#next", LAST_RULE_ID.name())
            .expression_attribute_values(":one", number(1))
            .return_values(ReturnValue::UpdatedNew)
            .send()
            .await;
        let output = match output {
            Ok(output) => output,
            Err(err) if crate::errors::Conditional::refused(&err).is_some() => return Ok(None),
            Err(err) => return Err(failed(err)),
        };
        let id = output.attributes.as_ref().and_then(|a| a.get(LAST_RULE_ID.name())).and_then(|v| v.as_n().ok());
        Ok(id.and_then(|n| n.parse().ok()).and_then(RuleId::new))
    }
}

impl ApiKeys for ShopTable<'_> {
    async fn add_key(&self, key: &ListedKey) -> StoreResult<Held> {
        let opens = ApiKeyRecord { shop: self.domain.to_string(), created_at: key.created_at };
        let put = Put::builder()
            .table_name(&self.store.table)
            .set_item(Some(to_item(&opens, keys::api_key(&key.hash))?))
            .condition_expression("attribute_not_exists(#pk) OR #shop = :shop")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#shop", KEY_SHOP.name())
            .expression_attribute_values(":shop", text(self.domain.as_str()))
            .build()
            .map_err(unbuilt)?;
        let listed = ShopKeyRecord { hash: key.hash.clone(), prefix: key.prefix.clone(), created_at: key.created_at };
        let listing = self.plain_put(to_item(&listed, keys::shop_key(self.domain, &key.hash))?)?;
        let items = vec![(Part::Key, TransactWriteItem::builder().put(put).build()), (Part::Other, listing)];
        match transaction::commit(&self.store.client, items).await {
            Ok(()) => Ok(Held::Taken),
            Err(TxError::Cancelled(why)) if why.refused().is_some() => Ok(Held::Elsewhere),
            Err(e) => Err(transaction_failed(e)),
        }
    }

    async fn keys(&self) -> StoreResult<Vec<ListedKey>> {
        let (pk, prefix) = keys::shop_keys(self.domain);
        let items = self.store.query(pk, SortKey::Prefix(prefix)).await?;
        let keys: Vec<ShopKeyRecord> = items.into_iter().map(from_item).collect::<Result<_, _>>()?;
        Ok(keys.into_iter().map(|k| ListedKey { hash: k.hash, prefix: k.prefix, created_at: k.created_at }).collect())
    }

    async fn revoke_key(&self, hash: &str) -> StoreResult<()> {
        let mut items = Vec::new();
        for (pk, sk) in [keys::api_key(hash), keys::shop_key(self.domain, hash)] {
            let delete =
                Delete::builder().table_name(&self.store.table).key(PK.name(), text(pk)).key(SK.name(), text(sk));
            items.push((Part::Other, TransactWriteItem::builder().delete(delete.build().map_err(unbuilt)?).build()));
        }
        transaction::commit(&self.store.client, items).await.map_err(transaction_failed)
    }
}
