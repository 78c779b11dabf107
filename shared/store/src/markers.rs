//! Markers that expire (a cancelled order, for the creation that may arrive after it; a webhook delivery
//! handled), and the shop's current Admin API token, shared by every Lambda through the table: one Lambda
//! at a time takes the lease to fetch a new one, the others wait for it or use the old one while it works.

use tally_app::ports::store::{Held, Markers, SharedToken, StoreResult, Tokens};
use tally_domain::ids::OrderId;
use tally_domain::Time;

use crate::errors::{failed, written, Written};
use crate::records::markers::MarkerRecord;
use crate::records::shop::{TokenRecord, LEASE_UNTIL, RENEW_AFTER, TOKEN, VALID_UNTIL};
use crate::records::{rfc3339, text, to_item, PK, SK};
use crate::{keys, ShopTable};

/// How long order and webhook markers are kept: past Shopify's retries (4 hours) and late cancellations.
const KEEP_SECONDS: i64 = 90 * 24 * 3600;

impl ShopTable<'_> {
    /// Puts a marker that expires with the table's TTL.
    pub(crate) async fn put_marker(&self, key: keys::Key, at: Time) -> StoreResult<()> {
        let marker = MarkerRecord { at, expires_at: at.unix_timestamp() + KEEP_SECONDS };
        let put = self.store.client.put_item().table_name(&self.store.table).set_item(Some(to_item(&marker, key)?));
        put.send().await.map_err(failed)?;
        Ok(())
    }

    /// Whether a marker is kept where markers are, or where they were kept before (both read at once).
    async fn marked(&self, key: keys::Key, legacy: keys::Key) -> StoreResult<bool> {
        let (now, before) =
            tokio::try_join!(self.store.get::<MarkerRecord>(key), self.store.get::<MarkerRecord>(legacy))?;
        Ok(now.is_some() || before.is_some())
    }

    fn token_update(&self) -> aws_sdk_dynamodb::operation::update_item::builders::UpdateItemFluentBuilder {
        let (pk, sk) = keys::token(self.domain);
        self.store.client.update_item().table_name(&self.store.table).key(PK.name(), text(pk)).key(SK.name(), text(sk))
    }
}

impl Markers for ShopTable<'_> {
    async fn mark_order_cancelled(&self, order: OrderId, at: Time) -> StoreResult<()> {
        self.put_marker(keys::order(self.domain, order), at).await
    }

    async fn order_cancelled(&self, order: OrderId) -> StoreResult<bool> {
        self.marked(keys::order(self.domain, order), keys::legacy_order(self.domain, order)).await
    }

    async fn delivery_handled(&self, delivery: &str) -> StoreResult<bool> {
        self.marked(keys::webhook(self.domain, delivery), keys::legacy_webhook(self.domain, delivery)).await
    }

    async fn record_delivery(&self, delivery: &str, at: Time) -> StoreResult<()> {
        self.put_marker(keys::webhook(self.domain, delivery), at).await
    }
}

impl Tokens for ShopTable<'_> {
    async fn shared_token(&self) -> StoreResult<Option<SharedToken>> {
        let record: Option<TokenRecord> = self.store.get(keys::token(self.domain)).await?;
        Ok(record.and_then(|r| {
            let valid_until = r.valid_until?;
            Some(SharedToken { token: r.token?, valid_until, renew_after: r.renew_after.unwrap_or(valid_until) })
        }))
    }

    async fn lease_token(&self, now: Time, until: Time) -> StoreResult<Held> {
        let result = self
            .token_update()
            .condition_expression("attribute_not_exists(#lease) OR #lease < :now")
            .update_expression("SET #lease = :until")
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":now", text(rfc3339(now)))
            .expression_attribute_values(":until", text(rfc3339(until)))
            .send()
            .await;
        Ok(match written(result)? {
            Written::Done => Held::Taken,
            Written::Refused => Held::Elsewhere,
        })
    }

    async fn release_lease(&self, until: Time) -> StoreResult<()> {
        let result = self
            .token_update()
            .condition_expression("#lease = :until")
            .update_expression("REMOVE #lease")
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":until", text(rfc3339(until)))
            .send()
            .await;
        written(result).map(|_| ())
    }

    async fn share_token(&self, token: &SharedToken) -> StoreResult<()> {
        self.token_update()
            .update_expression(
                "SET #token = :token, #validUntil = :validUntil, #renewAfter = :renewAfter REMOVE #lease",
            )
            .expression_attribute_names("#token", TOKEN.name())
            .expression_attribute_names("#validUntil", VALID_UNTIL.name())
            .expression_attribute_names("#renewAfter", RENEW_AFTER.name())
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":renewAfter", text(rfc3339(token.renew_after)))
            .expression_attribute_values(":token", text(&token.token))
            .expression_attribute_values(":validUntil", text(rfc3339(token.valid_until)))
            .send()
            .await
            .map_err(failed)?;
        Ok(())
    }

    async fn forget_token(&self) -> StoreResult<()> {
        let (pk, sk) = keys::token(self.domain);
        let delete = self
            .store
            .client
            .delete_item()
            .table_name(&self.store.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk));
        delete.send().await.map_err(failed)?;
        Ok(())
    }
}
