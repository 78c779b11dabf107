//! A customer logged in at the shop, as the portal's operations serve them: proved by the App Proxy's
//! signature (`app_proxy`) or by a UI extension's session token (`session_token`).

use tally_domain::ids::CustomerId;
use tally_domain::shop::Shop;

use crate::endpoint::Caller;

/// A customer logged in on the shop's storefront, customer accounts or checkout.
#[derive(Debug)]
pub struct Shopper {
    pub shop: Shop,
    pub customer_id: CustomerId,
    /// Proved by the App Proxy, whose signature covers the query.
    pub proxied: bool,
}

impl Caller for Shopper {
    fn shop(&self) -> &Shop {
        &self.shop
    }

    /// A shopper's keys are theirs alone: another customer's double click with the same key is not a replay
    /// (the space keeps them apart from the external API's keys, which cannot hold one). Both doors use the
    /// customer's space; a key sent again through the other door is another request (its route differs), so
    /// it is refused as reused rather than replayed.
    fn scope(&self, key: String) -> String {
        format!("portal {} {key}", self.customer_id)
    }

    /// The storefront may give its key as `idempotency_key` in the query, which the App Proxy signs (and
    /// forwards whatever it does with headers); an extension sends the header.
    fn key_in_query(&self) -> bool {
        self.proxied
    }
}
