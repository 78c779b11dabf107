//! A shop's item, its settings, and the item an API key is kept as.

use serde::{Deserialize, Serialize};

use tally_app::ports::StoreError;
use tally_domain::shop::{Access, Shop, ShopDomain, ShopSettings, ShopStatus};
use tally_domain::{vocabulary, Time};

use super::{corrupt, Attribute};

pub const SETTINGS: Attribute = Attribute("settings");
pub const STATUS: Attribute = Attribute("status");
pub const ACCESS: Attribute = Attribute("access");
pub const CLIENT_ID: Attribute = Attribute("clientId");
pub const CURRENCY: Attribute = Attribute("currency");
pub const ADMIN_URL: Attribute = Attribute("adminUrl");
pub const CODE_PREFIX: Attribute = Attribute("codePrefix");
pub const UNINSTALLED_AT: Attribute = Attribute("uninstalledAt");
pub const CONNECTED_AT: Attribute = Attribute("connectedAt");
/// Where shops saved before secrets had items of their own kept them (`store::migrations` moves them).
pub const LEGACY_ACCESS_TOKEN: Attribute = Attribute("accessToken");
pub const LEGACY_CLIENT_SECRET: Attribute = Attribute("clientSecret");
/// The shop's rule counter: rule ids count up per shop.
pub const LAST_RULE_ID: Attribute = Attribute("lastRuleId");

vocabulary! {
    pub enum AccessWord {
        StaticToken = "STATIC_TOKEN",
        ClientCredentials = "CLIENT_CREDENTIALS",
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopRecord {
    pub domain: String,
    /// Absent from shops saved before apps connected by client credentials: those had static tokens.
    #[serde(default = "static_token")]
    pub access: AccessWord,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    #[serde(default = "active")]
    pub status: ShopStatus,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub uninstalled_at: Option<Time>,
    pub currency: String,
    pub admin_url: String,
    pub code_prefix: String,
    #[serde(default)]
    pub settings: SettingsRecord,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
    /// Absent from shops saved before it was kept: those were connected when created.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub connected_at: Option<Time>,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsRecord {
    pub return_points_on_cancel: bool,
    pub auto_enroll: bool,
    pub return_points_on_expiry: bool,
    /// Absent on shops saved before notices: the default period.
    #[serde(default = "notice_days")]
    pub expiry_notice_days: u16,
}

fn notice_days() -> u16 {
    tally_domain::shop::EXPIRY_NOTICE_DAYS
}

impl Default for SettingsRecord {
    fn default() -> Self {
        SettingsRecord::from(&ShopSettings::default())
    }
}

/// What the table keeps of an API key: the shop it opens, never the key itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    pub shop: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
}

/// The shop that an API key opens (`ApiKeyRecord`'s `shop`).
pub const KEY_SHOP: Attribute = Attribute("shop");

/// A shop's deletion, asked by `shop/redact` and not finished: the redaction job finds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RedactionRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub requested_at: Time,
}

/// An API key among its shop's keys: enough to recognise it and to revoke it, never the key itself.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopKeyRecord {
    /// The key's hash, which its `ApiKeyRecord` is kept under.
    pub hash: String,
    /// The key's first characters, for people to tell keys apart.
    pub prefix: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
}

impl From<&ShopSettings> for SettingsRecord {
    fn from(s: &ShopSettings) -> Self {
        SettingsRecord {
            return_points_on_cancel: s.return_points_on_cancel,
            auto_enroll: s.auto_enroll,
            return_points_on_expiry: s.return_points_on_expiry,
            expiry_notice_days: s.expiry_notice_days,
        }
    }
}

impl From<SettingsRecord> for ShopSettings {
    fn from(s: SettingsRecord) -> Self {
        ShopSettings {
            return_points_on_cancel: s.return_points_on_cancel,
            auto_enroll: s.auto_enroll,
            return_points_on_expiry: s.return_points_on_expiry,
            expiry_notice_days: s.expiry_notice_days,
        }
    }
}

fn active() -> ShopStatus {
    ShopStatus::Active
}

/// The secrets a shop's item held before secrets had items of their own, if it still holds them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LegacySecretsRecord {
    pub domain: String,
    pub access_token: Option<String>,
    pub client_secret: Option<String>,
}

fn static_token() -> AccessWord {
    AccessWord::StaticToken
}

/// The app's client secret, in an item of its own (`keys::secrets`) that only the functions calling Shopify
/// or verifying signatures may read.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SecretsRecord {
    pub client_secret: String,
}

pub const CLIENT_SECRET: Attribute = Attribute("clientSecret");

/// A legacy app's static Admin API token (`keys::static_token`), readable only by the functions that call
/// Shopify.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StaticTokenRecord {
    pub static_token: String,
}

pub const STATIC_TOKEN: Attribute = Attribute("staticToken");

/// The shop's current Admin API token from the client credentials grant, shared by every Lambda
/// (`keys::token`), and the lease of the one refreshing it.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TokenRecord {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
    /// When the token stops working (named apart from the table's TTL attribute, `expiresAt`).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<Time>,
    /// From when a Lambda fetches the next token rather than start calls with this one.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub renew_after: Option<Time>,
    /// Until when one Lambda is fetching a new token; the others wait for it.
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub lease_until: Option<Time>,
}

pub const TOKEN: Attribute = Attribute("token");
pub const VALID_UNTIL: Attribute = Attribute("validUntil");
pub const RENEW_AFTER: Attribute = Attribute("renewAfter");
pub const LEASE_UNTIL: Attribute = Attribute("leaseUntil");

impl From<&Shop> for ShopRecord {
    fn from(s: &Shop) -> Self {
        let (access, client_id) = match &s.access {
            Access::StaticToken => (AccessWord::StaticToken, None),
            Access::ClientCredentials { client_id } => (AccessWord::ClientCredentials, Some(client_id.clone())),
        };
        ShopRecord {
            domain: s.domain.to_string(),
            access,
            client_id,
            status: s.status,
            uninstalled_at: None,
            currency: s.currency.clone(),
            admin_url: s.admin_url.clone(),
            code_prefix: s.code_prefix.clone(),
            settings: SettingsRecord::from(&s.settings),
            created_at: s.created_at,
            connected_at: Some(s.connected_at),
        }
    }
}

impl TryFrom<ShopRecord> for Shop {
    type Error = StoreError;

    fn try_from(r: ShopRecord) -> Result<Self, StoreError> {
        let access = match (r.access, r.client_id) {
            (AccessWord::ClientCredentials, Some(client_id)) => Access::ClientCredentials { client_id },
            _ => Access::StaticToken,
        };
        Ok(Shop {
            domain: ShopDomain::parse(&r.domain).map_err(|e| corrupt(e.to_string()))?,
            access,
            status: r.status,
            currency: r.currency,
            admin_url: r.admin_url,
            code_prefix: r.code_prefix,
            settings: r.settings.into(),
            created_at: r.created_at,
            connected_at: r.connected_at.unwrap_or(r.created_at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let shop = Shop::new("s.myshopify.com", Access::StaticToken, Time::UNIX_EPOCH).unwrap();
        super::super::check::written_under(
            &ShopRecord::from(&shop),
            &[SETTINGS, STATUS, ACCESS, CURRENCY, ADMIN_URL, CODE_PREFIX, CONNECTED_AT],
        );
        let connected = Shop { access: Access::ClientCredentials { client_id: "id".into() }, ..shop.clone() };
        let mut record = ShopRecord::from(&connected);
        record.uninstalled_at = Some(Time::UNIX_EPOCH);
        super::super::check::written_under(&record, &[CLIENT_ID, UNINSTALLED_AT]);
        assert_eq!(Shop::try_from(ShopRecord::from(&connected)).unwrap(), connected);
        let secrets = SecretsRecord { client_secret: "s".into() };
        super::super::check::written_under(&secrets, &[CLIENT_SECRET]);
        super::super::check::written_under(&StaticTokenRecord { static_token: "t".into() }, &[STATIC_TOKEN]);
        let token = TokenRecord {
            token: Some("t".into()),
            valid_until: Some(Time::UNIX_EPOCH),
            renew_after: Some(Time::UNIX_EPOCH),
            lease_until: Some(Time::UNIX_EPOCH),
        };
        super::super::check::written_under(&token, &[TOKEN, VALID_UNTIL, RENEW_AFTER, LEASE_UNTIL]);
        let key = ApiKeyRecord { shop: shop.domain.to_string(), created_at: Time::UNIX_EPOCH };
        super::super::check::written_under(&key, &[KEY_SHOP]);
        let legacy = format!(
            r#"{{"domain": "s", "{}": "shpat", "{}": "secret"}}"#,
            LEGACY_ACCESS_TOKEN.name(),
            LEGACY_CLIENT_SECRET.name()
        );
        let legacy: LegacySecretsRecord = serde_json::from_str(&legacy).unwrap();
        assert_eq!((legacy.access_token.as_deref(), legacy.client_secret.as_deref()), (Some("shpat"), Some("secret")));
        let old_shop = r#"{"domain": "s.myshopify.com", "currency": "USD", "adminUrl": "https://s", "codePrefix": "T-",
            "createdAt": "2026-01-01T00:00:00Z", "accessToken": "shpat", "clientSecret": "secret"}"#;
        let old_shop: ShopRecord = serde_json::from_str(old_shop).expect("a shop saved before access was recorded");
        assert_eq!(Shop::try_from(old_shop).unwrap().access, Access::StaticToken);
        let missing: SettingsRecord = serde_json::from_str("{}").unwrap();
        assert_eq!(ShopSettings::from(missing), ShopSettings::default(), "settings never written are the defaults");
    }
}
