//! A shop's item, its settings, and the item an API key is kept as.

use serde::{Deserialize, Serialize};

use super::Attribute;
use crate::domain::shop::{Shop, ShopSettings};
use crate::domain::Time;

pub const SETTINGS: Attribute = Attribute("settings");
/// The shop's rule counter: rule ids count up per shop.
pub const LAST_RULE_ID: Attribute = Attribute("lastRuleId");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShopRecord {
    pub domain: String,
    pub access_token: String,
    pub client_secret: String,
    pub currency: String,
    pub admin_url: String,
    pub code_prefix: String,
    #[serde(default)]
    pub settings: SettingsRecord,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct SettingsRecord {
    pub return_points_on_cancel: bool,
    pub auto_enroll: bool,
    pub return_points_on_expiry: bool,
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
        }
    }
}

impl From<SettingsRecord> for ShopSettings {
    fn from(s: SettingsRecord) -> Self {
        ShopSettings {
            return_points_on_cancel: s.return_points_on_cancel,
            auto_enroll: s.auto_enroll,
            return_points_on_expiry: s.return_points_on_expiry,
        }
    }
}

impl From<&Shop> for ShopRecord {
    fn from(s: &Shop) -> Self {
        ShopRecord {
            domain: s.domain.clone(),
            access_token: s.access_token.clone(),
            client_secret: s.client_secret.clone(),
            currency: s.currency.clone(),
            admin_url: s.admin_url.clone(),
            code_prefix: s.code_prefix.clone(),
            settings: SettingsRecord::from(&s.settings),
            created_at: s.created_at,
        }
    }
}

impl From<ShopRecord> for Shop {
    fn from(r: ShopRecord) -> Self {
        Shop {
            domain: r.domain,
            access_token: r.access_token,
            client_secret: r.client_secret,
            currency: r.currency,
            admin_url: r.admin_url,
            code_prefix: r.code_prefix,
            settings: r.settings.into(),
            created_at: r.created_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let shop = Shop::new("s.myshopify.com", "t", "s", Time::UNIX_EPOCH).unwrap();
        super::super::check::written_under(&ShopRecord::from(&shop), &[SETTINGS]);
        let key = ApiKeyRecord { shop: shop.domain.clone(), created_at: Time::UNIX_EPOCH };
        super::super::check::written_under(&key, &[KEY_SHOP]);
        let missing: SettingsRecord = serde_json::from_str("{}").unwrap();
        assert_eq!(ShopSettings::from(missing), ShopSettings::default(), "settings never written are the defaults");
    }
}
