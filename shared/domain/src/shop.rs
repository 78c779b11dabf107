//! Shops: the tenants, and how Tally reaches them in Shopify.

use std::fmt;

use super::{vocabulary, Time};

/// A shop's `*.myshopify.com` domain, lowercase: the tenant every key of the table begins with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopDomain(String);

/// The longest domain Tally accepts: Shopify's own are far shorter.
pub const MAX_DOMAIN_LENGTH: usize = 255;

impl ShopDomain {
    /// The domain, trimmed and lowercased, if it is a shop's.
    pub fn parse(domain: &str) -> Result<ShopDomain, ShopError> {
        let domain = domain.trim();
        if domain.len() > MAX_DOMAIN_LENGTH {
            return Err(ShopError::Domain(domain.chars().take(40).collect::<String>() + "…"));
        }
        let domain = domain.to_lowercase();
        let name = domain.strip_suffix(".myshopify.com").unwrap_or_default();
        let valid = !name.is_empty()
            && !name.starts_with(['-', '.'])
            && domain.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        match valid {
            true => Ok(ShopDomain(domain)),
            false => Err(ShopError::Domain(domain)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A shop. Its secrets are not here: they are kept apart (`ShopSecrets`), readable only where needed.
#[derive(Clone, PartialEq)]
pub struct Shop {
    pub domain: ShopDomain,
    pub access: Access,
    pub status: ShopStatus,
    pub currency: String,
    /// The base to which `/admin/api/{version}/graphql.json` is appended.
    pub admin_url: String,
    pub code_prefix: String,
    pub settings: ShopSettings,
    pub created_at: Time,
    /// When the app was last connected (created, or connected again after an uninstall): an uninstall
    /// Shopify triggered before this is an old one, delivered late.
    pub connected_at: Time,
}

/// How Tally obtains the shop's Admin API tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// A legacy custom app's static `shpat_` token, kept with the secrets.
    StaticToken,
    /// A Dev Dashboard app: tokens from the client credentials grant, expiring after about a day.
    ClientCredentials { client_id: String },
}

vocabulary! {
    pub enum ShopStatus {
        Active = "ACTIVE",
        /// The app was uninstalled: writes are refused, reads still work, jobs pass the shop by.
        Uninstalled = "UNINSTALLED",
    }
}

/// The shop's secrets: the app's client secret (which signs webhooks and App Proxy requests, and obtains
/// tokens) and, for a legacy app, its static token. Never logged, never in an error's detail.
#[derive(Clone, PartialEq, Eq)]
pub struct ShopSecrets {
    pub client_secret: String,
    pub static_token: Option<String>,
}

impl fmt::Debug for ShopSecrets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ShopSecrets(…)")
    }
}

impl ShopSecrets {
    pub fn new(client_secret: &str, static_token: Option<&str>) -> Result<ShopSecrets, ShopError> {
        if client_secret.is_empty() || static_token.is_some_and(str::is_empty) {
            return Err(ShopError::EmptyCredentials);
        }
        Ok(ShopSecrets { client_secret: client_secret.into(), static_token: static_token.map(str::to_string) })
    }
}

/// What a merchant decides about orders and expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShopSettings {
    /// A cancelled order gives back the points of the rewards it used.
    pub return_points_on_cancel: bool,
    /// A customer Shopify creates (`customers/create`) is enrolled.
    pub auto_enroll: bool,
    /// An immediate reward that expires unused gives its points back (a reservation always comes back).
    pub return_points_on_expiry: bool,
    /// How many days before points expire the customer hears of it (`points.expiring_soon`); 0: never.
    pub expiry_notice_days: u16,
}

/// The notice period a shop has until it sets one.
pub const EXPIRY_NOTICE_DAYS: u16 = 7;

impl Default for ShopSettings {
    fn default() -> Self {
        ShopSettings {
            return_points_on_cancel: true,
            auto_enroll: false,
            return_points_on_expiry: false,
            expiry_notice_days: EXPIRY_NOTICE_DAYS,
        }
    }
}

/// A shop's settings that cannot be.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopError {
    #[error("{0:?} is not a shop domain like my-shop.myshopify.com")]
    Domain(String),
    #[error("the access token, client id and client secret must not be empty")]
    EmptyCredentials,
    #[error("{0:?} is not an ISO 4217 currency code like USD")]
    Currency(String),
    #[error("the code prefix must be at most 20 characters of A-Z, 0-9 and -")]
    CodePrefix,
    #[error("the admin URL must be an http(s) URL")]
    AdminUrl,
}

impl fmt::Debug for Shop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shop").field("domain", &self.domain).field("admin_url", &self.admin_url).finish_non_exhaustive()
    }
}

impl Shop {
    pub fn new(domain: &str, access: Access, created_at: Time) -> Result<Shop, ShopError> {
        let domain = ShopDomain::parse(domain)?;
        if matches!(&access, Access::ClientCredentials { client_id } if client_id.is_empty()) {
            return Err(ShopError::EmptyCredentials);
        }
        Ok(Shop {
            admin_url: format!("https://{domain}"),
            domain,
            access,
            status: ShopStatus::Active,
            currency: "USD".into(),
            code_prefix: "TALLY-".into(),
            settings: ShopSettings::default(),
            created_at,
            connected_at: created_at,
        })
    }

    pub fn with_currency(mut self, currency: &str) -> Result<Shop, ShopError> {
        if currency.len() != 3 || !currency.bytes().all(|b| b.is_ascii_uppercase()) {
            return Err(ShopError::Currency(currency.into()));
        }
        self.currency = currency.into();
        Ok(self)
    }

    pub fn with_code_prefix(mut self, prefix: &str) -> Result<Shop, ShopError> {
        let ok =
            prefix.len() <= 20 && prefix.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        if !ok {
            return Err(ShopError::CodePrefix);
        }
        self.code_prefix = prefix.into();
        Ok(self)
    }

    pub fn with_admin_url(mut self, url: &str) -> Result<Shop, ShopError> {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ShopError::AdminUrl);
        }
        self.admin_url = url.trim_end_matches('/').to_string();
        Ok(self)
    }

    pub fn is_uninstalled(&self) -> bool {
        self.status == ShopStatus::Uninstalled
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop() -> Shop {
        Shop::new(" My-Shop.myshopify.com ", Access::StaticToken, Time::UNIX_EPOCH).unwrap()
    }

    #[test]
    fn a_shop_is_its_lowercase_myshopify_domain() {
        assert_eq!(shop().domain.as_str(), "my-shop.myshopify.com");
        assert_eq!(shop().admin_url, "https://my-shop.myshopify.com");
        for bad in ["my-shop.com", ".myshopify.com", "a b.myshopify.com", "-x.myshopify.com", ""] {
            assert!(matches!(ShopDomain::parse(bad), Err(ShopError::Domain(_))), "{bad}");
        }
        let long = format!("{}.myshopify.com", "a".repeat(3000));
        let refused = ShopDomain::parse(&long).unwrap_err().to_string();
        assert!(refused.len() < 100, "a long domain is not echoed whole: {refused}");
        let no_id = Access::ClientCredentials { client_id: String::new() };
        assert_eq!(Shop::new("a.myshopify.com", no_id, Time::UNIX_EPOCH), Err(ShopError::EmptyCredentials));
        assert_eq!(ShopSecrets::new("", None), Err(ShopError::EmptyCredentials));
        assert_eq!(format!("{:?}", ShopSecrets::new("s3cret", Some("shpat_x")).unwrap()), "ShopSecrets(…)");
    }

    #[test]
    fn currency_prefix_and_admin_url_are_checked() {
        assert_eq!(shop().with_currency("EUR").unwrap().currency, "EUR");
        assert_eq!(shop().with_currency("eur"), Err(ShopError::Currency("eur".into())));
        assert_eq!(shop().with_code_prefix("VIP-").unwrap().code_prefix, "VIP-");
        assert_eq!(shop().with_code_prefix("vip"), Err(ShopError::CodePrefix));
        assert_eq!(
            shop().with_admin_url("http://127.0.0.1:8081/shops/x/").unwrap().admin_url,
            "http://127.0.0.1:8081/shops/x"
        );
        assert_eq!(shop().with_admin_url("ftp://x"), Err(ShopError::AdminUrl));
    }
}
