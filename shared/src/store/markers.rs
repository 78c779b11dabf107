//! Markers that expire: a cancelled order, for the `orders/create` that may arrive after it, and a webhook
//! delivery handled, so that its duplicates are not.

use super::errors::{internal, written};
use super::records::markers::MarkerRecord;
use super::records::{text, to_item, PK, SK};
use super::{keys, Store};
use crate::domain::error::TallyError;
use crate::domain::Time;

/// How long order and webhook markers are kept: past Shopify's retries (4 hours) and late cancellations.
const KEEP_SECONDS: i64 = 90 * 24 * 3600;

impl Store {
    /// Remembers that an order was cancelled, for an `orders/create` that arrives after it.
    pub async fn mark_order_cancelled(&self, domain: &str, order_id: u64, at: Time) -> Result<(), TallyError> {
        self.put_marker(keys::order(domain, order_id), false, at).await.map(|_| ())
    }

    pub async fn is_order_cancelled(&self, domain: &str, order_id: u64) -> Result<bool, TallyError> {
        Ok(self.get::<MarkerRecord>(keys::order(domain, order_id)).await?.is_some())
    }

    /// Records a webhook delivery; `false` when it was recorded before (a duplicate delivery).
    pub async fn first_delivery(&self, domain: &str, webhook_id: &str, at: Time) -> Result<bool, TallyError> {
        self.put_marker(keys::webhook(domain, webhook_id), true, at).await
    }

    /// Forgets a delivery that could not be handled, so that Shopify's retry is handled.
    pub async fn forget_delivery(&self, domain: &str, webhook_id: &str) -> Result<(), TallyError> {
        let (pk, sk) = keys::webhook(domain, webhook_id);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Puts a marker that expires with the table's TTL; with `only_once`, fails (`false`) if it exists.
    async fn put_marker(&self, key: keys::Key, only_once: bool, at: Time) -> Result<bool, TallyError> {
        let marker = MarkerRecord { at, expires_at: at.unix_timestamp() + KEEP_SECONDS };
        let mut put = self.client.put_item().table_name(&self.table).set_item(Some(to_item(&marker, key)?));
        if only_once {
            put = put.condition_expression("attribute_not_exists(#pk)").expression_attribute_names("#pk", PK.name());
        }
        written(put.send().await)
    }
}
