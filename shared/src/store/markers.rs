//! Markers that expire: a cancelled order, for the `orders/create` that may arrive after it, and a webhook
//! delivery handled, so that its duplicates are answered without work.

use super::errors::written;
use super::records::markers::MarkerRecord;
use super::records::{to_item, PK};
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

    /// Whether a webhook delivery was handled already.
    pub async fn delivery_handled(&self, domain: &str, webhook_id: &str) -> Result<bool, TallyError> {
        Ok(self.get::<MarkerRecord>(keys::webhook(domain, webhook_id)).await?.is_some())
    }

    /// Records a webhook delivery as handled, once its effects are made.
    pub async fn record_delivery(&self, domain: &str, webhook_id: &str, at: Time) -> Result<(), TallyError> {
        self.put_marker(keys::webhook(domain, webhook_id), false, at).await.map(|_| ())
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
