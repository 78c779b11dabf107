//! The customer's metafield: their balance and next expiry, replaced only by a newer standing. The
//! version read decides, and the write is conditioned on the digest read (`compareDigest`), so that two
//! writers, or an older standing delivered late, never put an older balance over a newer one.

use tally_domain::events::Standing;

use super::wire::{self, METAFIELD_KEY, METAFIELD_NAMESPACE};
use crate::ports::shopify::{MetafieldRead, MetafieldSet, MetafieldWritten, ShopifyResult};
use crate::ports::{ShopifyError, ShopifyShop};

/// How many times the metafield may change under a write before the write waits in the outbox.
const RACES: usize = 3;

/// Writes `standing` unless the metafield holds a newer one (or this one) already.
pub async fn write<T: ShopifyShop>(shopify: &T, standing: &Standing) -> ShopifyResult<()> {
    let value = wire::standing(standing);
    for _ in 0..RACES {
        let stored = match shopify.customer_metafield(standing.customer_id, METAFIELD_NAMESPACE, METAFIELD_KEY).await? {
            // A customer Shopify no longer has has no metafield to keep.
            MetafieldRead::NoCustomer => return Ok(()),
            MetafieldRead::Absent => None,
            MetafieldRead::Found(metafield) => Some(metafield),
        };
        if !standing.replaces(stored.as_ref().and_then(|m| wire::standing_version(&m.value))) {
            return Ok(());
        }
        let set = MetafieldSet {
            namespace: METAFIELD_NAMESPACE,
            key: METAFIELD_KEY,
            value: &value,
            read: stored.as_ref().map(|m| m.digest.as_str()),
        };
        match shopify.set_customer_metafield(standing.customer_id, &set).await? {
            MetafieldWritten::Written => return Ok(()),
            MetafieldWritten::Stale => continue,
        }
    }
    Err(ShopifyError::Unavailable("the metafield kept changing under the write".into()))
}
