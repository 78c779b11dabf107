//! Shops: the tenants.

use serde::{Deserialize, Serialize};

/// A shop and its Shopify credentials. The token and secret never leave the backend.
#[derive(Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Shop {
    pub domain: String,
    pub access_token: String,
    pub client_secret: String,
    pub currency: String,
    /// The base to which `/admin/api/{version}/graphql.json` is appended.
    pub admin_url: String,
    pub code_prefix: String,
    #[serde(default)]
    pub settings: ShopSettings,
    pub created_at: String,
}

/// What a merchant decides about orders and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ShopSettings {
    /// A cancelled order gives back the points of the rewards it used.
    pub return_points_on_cancel: bool,
    /// A customer Shopify creates (`customers/create`) is enrolled.
    pub auto_enroll: bool,
    /// An immediate reward that expires unused gives its points back (a reservation always comes back).
    pub return_points_on_expiry: bool,
}

impl Default for ShopSettings {
    fn default() -> Self {
        ShopSettings { return_points_on_cancel: true, auto_enroll: false, return_points_on_expiry: false }
    }
}

impl std::fmt::Debug for Shop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shop").field("domain", &self.domain).field("admin_url", &self.admin_url).finish_non_exhaustive()
    }
}

impl Shop {
    pub fn new(domain: &str, access_token: &str, client_secret: &str) -> Result<Shop, String> {
        let domain = domain.trim().to_lowercase();
        let valid = domain.ends_with(".myshopify.com")
            && domain.len() > ".myshopify.com".len()
            && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !valid {
            return Err(format!("{domain:?} is not a shop domain like my-shop.myshopify.com"));
        }
        if access_token.is_empty() || client_secret.is_empty() {
            return Err("the access token and client secret must not be empty".into());
        }
        Ok(Shop {
            admin_url: format!("https://{domain}"),
            domain,
            access_token: access_token.into(),
            client_secret: client_secret.into(),
            currency: "USD".into(),
            code_prefix: "TALLY-".into(),
            settings: ShopSettings::default(),
            created_at: super::rfc3339(super::now()),
        })
    }

    pub fn with_currency(mut self, currency: &str) -> Result<Shop, String> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(format!("{currency:?} is not an ISO 4217 currency code like USD"));
        }
        self.currency = currency.into();
        Ok(self)
    }

    pub fn with_code_prefix(mut self, prefix: &str) -> Result<Shop, String> {
        let ok =
            prefix.len() <= 20 && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err("the code prefix must be at most 20 characters of A-Z, 0-9 and -".into());
        }
        self.code_prefix = prefix.into();
        Ok(self)
    }
}
