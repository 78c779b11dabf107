//! Changes to stored data between versions, run once by an operator (`tally-cli shop migrate-secrets`,
//! `tally-cli customer migrate-phones`).

use super::errors::internal;
use super::records::from_item;
use super::records::shop::{LegacySecretsRecord, LEGACY_ACCESS_TOKEN, LEGACY_CLIENT_SECRET};
use super::{keys, SortKey, Store};
use crate::domain::error::TallyError;
use crate::domain::shop::ShopSecrets;

impl Store {
    /// Shops saved before secrets had items of their own kept `accessToken` and `clientSecret` in the shop's
    /// item, which every function may read. Each such shop's secrets go to its secrets item (unless it has
    /// one already, from a connect or a rotation since), then leave the shop's item. Returns the shops
    /// moved; a second run finds none.
    pub async fn move_legacy_secrets(&self) -> Result<Vec<String>, TallyError> {
        let mut moved = Vec::new();
        for item in self.query_listing(keys::SHOPS.into(), SortKey::Any).await? {
            let legacy: LegacySecretsRecord = from_item(item)?;
            let (domain, Some(client_secret)) = (legacy.domain, legacy.client_secret) else { continue };
            if self.shop_secrets(&domain).await?.is_none() {
                let token = legacy.access_token.as_deref();
                let secrets = ShopSecrets::new(&client_secret, token).map_err(TallyError::internal)?;
                self.put_secrets(&domain, &secrets).await?;
            }
            self.update_item(keys::shop(&domain))
                .update_expression("REMOVE #token, #secret")
                .expression_attribute_names("#token", LEGACY_ACCESS_TOKEN.name())
                .expression_attribute_names("#secret", LEGACY_CLIENT_SECRET.name())
                .send()
                .await
                .map_err(internal)?;
            moved.push(domain);
        }
        Ok(moved)
    }

    /// Customers saved before phones were unique have a phone and no item that finds them by it. Each such
    /// phone is claimed for its customer where it is free; a phone another customer holds already is left
    /// to them and reported. Returns the customers whose phone was claimed and those whose phone another
    /// has, as `(customer, phone)`; a second run claims none.
    pub async fn claim_legacy_phones(&self, domain: &str) -> Result<PhoneClaims, TallyError> {
        let mut claims = PhoneClaims::default();
        for customer_id in self.list_customers(domain).await? {
            let Some(customer) = self.get_customer(domain, customer_id).await? else { continue };
            let Some(phone) = customer.phone else { continue };
            let key = keys::phone(domain, &phone);
            if self.owns(&key, customer_id).await? {
                continue;
            }
            let claim = self.claim_identity(key, customer_id)?;
            let put = self
                .client
                .put_item()
                .table_name(claim.table_name)
                .set_item(Some(claim.item))
                .set_condition_expression(claim.condition_expression)
                .set_expression_attribute_names(claim.expression_attribute_names)
                .set_expression_attribute_values(claim.expression_attribute_values);
            match super::errors::written(put.send().await)? {
                true => claims.claimed.push((customer_id, phone)),
                false => claims.held_by_another.push((customer_id, phone)),
            }
        }
        Ok(claims)
    }
}

/// What `claim_legacy_phones` did: the phones claimed, and those another customer holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PhoneClaims {
    pub claimed: Vec<(u64, String)>,
    pub held_by_another: Vec<(u64, String)>,
}
