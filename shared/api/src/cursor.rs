//! Opaque page cursors: where a page ended, bound to the shop, the customer and the list it belongs to, so
//! that a cursor of another shop, customer or list is refused. Base64 (URL-safe) of a small JSON object;
//! clients must not read or build them.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};

use tally_domain::ids::CustomerId;

use crate::invalid::Invalid;

/// The lists that page.
pub const REWARDS: &str = "rewards";
pub const ACTIVITY: &str = "activity";

#[derive(Serialize, Deserialize)]
struct Cursor {
    shop: String,
    customer: u64,
    list: String,
    at: Vec<i64>,
}

/// A cursor for the page after `at` in `list` of the shop's customer.
pub fn encode(shop: &str, customer: CustomerId, list: &str, at: &[i64]) -> String {
    let cursor = Cursor { shop: shop.into(), customer: customer.get(), list: list.into(), at: at.to_vec() };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&cursor).unwrap_or_default())
}

/// Where the page a cursor names starts, and whose list it is; a cursor of another shop or list, or no
/// cursor at all, is `INVALID_REQUEST`. The customer is checked by the caller, who knows them.
pub fn decode(text: &str, shop: &str, list: &str) -> Result<(CustomerId, Vec<i64>), Invalid> {
    let cursor: Cursor = URL_SAFE_NO_PAD
        .decode(text)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or(Invalid::Cursor)?;
    let customer = CustomerId::new(cursor.customer).filter(|_| cursor.shop == shop && cursor.list == list);
    Ok((customer.ok_or(Invalid::Cursor)?, cursor.at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_only_in_its_own_shop_and_list() {
        let seven = CustomerId::new(7).unwrap();
        let cursor = encode("a.myshopify.com", seven, "rewards", &[1_700_000_000, 42]);
        assert_eq!(decode(&cursor, "a.myshopify.com", "rewards").unwrap(), (seven, vec![1_700_000_000, 42]));
        assert!(decode(&cursor, "b.myshopify.com", "rewards").is_err());
        assert!(decode(&cursor, "a.myshopify.com", "activity").is_err());
        assert!(decode("not a cursor", "a.myshopify.com", "rewards").is_err());
    }
}
