//! Changes to stored data between versions, run once by an operator (`tally-cli shop migrate-secrets`,
//! `tally-cli customer migrate-phones`).

use tally_app::ports::store::{Customers, ShopRecords, StoreResult, Writes};
use tally_app::ports::write::IdentityWrite;
use tally_app::ports::{Committed, Store, StoreError, Write};
use tally_domain::customer::{Identity, Phone};
use tally_domain::ids::CustomerId;
use tally_domain::shop::{ShopDomain, ShopSecrets};

use crate::errors::failed;
use crate::records::from_item;
use crate::records::shop::{LegacySecretsRecord, LEGACY_ACCESS_TOKEN, LEGACY_CLIENT_SECRET};
use crate::{keys, DynamoStore, ShopTable, SortKey};

/// What `claim_legacy_phones` did: the phones claimed, and those another customer holds.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PhoneClaims {
    pub claimed: Vec<(CustomerId, Phone)>,
    pub held_by_another: Vec<(CustomerId, Phone)>,
}

impl DynamoStore {
    /// Shops saved before secrets had items of their own kept `accessToken` and `clientSecret` in the shop's
    /// item, which every function may read. Each such shop's secrets go to its secrets item (unless it has
    /// one already, from a connect or a rotation since), then leave the shop's item. Returns the shops
    /// moved; a second run finds none.
    pub async fn move_legacy_secrets(&self) -> StoreResult<Vec<ShopDomain>> {
        let mut moved = Vec::new();
        for item in self.query_listing(keys::SHOPS.into(), SortKey::Any).await? {
            let legacy: LegacySecretsRecord = from_item(item)?;
            let Some(client_secret) = legacy.client_secret else { continue };
            let domain = ShopDomain::parse(&legacy.domain).map_err(|e| StoreError(e.to_string()))?;
            let shop = self.shop(&domain);
            if shop.secrets().await?.is_none() {
                let secrets = ShopSecrets::new(&client_secret, legacy.access_token.as_deref())
                    .map_err(|e| StoreError(e.to_string()))?;
                shop.put_secrets(&secrets).await?;
            }
            let (pk, sk) = keys::shop(&domain);
            self.client
                .update_item()
                .table_name(&self.table)
                .key(crate::records::PK.name(), crate::records::text(pk))
                .key(crate::records::SK.name(), crate::records::text(sk))
                .update_expression("REMOVE #token, #secret")
                .expression_attribute_names("#token", LEGACY_ACCESS_TOKEN.name())
                .expression_attribute_names("#secret", LEGACY_CLIENT_SECRET.name())
                .send()
                .await
                .map_err(failed)?;
            moved.push(domain);
        }
        Ok(moved)
    }
}

impl ShopTable<'_> {
    /// Customers saved before phones were unique have a phone and no item that finds them by it. Each such
    /// phone is claimed for its customer where it is free; a phone another customer holds already is left
    /// to them and reported. A second run claims none.
    pub async fn claim_legacy_phones(&self) -> StoreResult<PhoneClaims> {
        let mut claims = PhoneClaims::default();
        for customer_id in self.customer_ids().await? {
            let Some(customer) = self.customer(customer_id).await? else { continue };
            let Some(phone) = customer.phone else { continue };
            let identity = Identity::Phone(phone.clone());
            if self.owner(&identity).await? == Some(customer_id) {
                continue;
            }
            let claim = Write { identities: vec![IdentityWrite::Claim(identity, customer_id)], ..Write::default() };
            match self.commit(claim).await? {
                Committed::Done => claims.claimed.push((customer_id, phone)),
                Committed::Rejected(_) => claims.held_by_another.push((customer_id, phone)),
            }
        }
        Ok(claims)
    }
}
