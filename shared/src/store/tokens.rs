//! The shop's current Admin API token, shared by every Lambda through the table: one Lambda at a time takes
//! the lease to fetch a new one, the others wait for it or use the old one while it still works.

use super::errors::{internal, written};
use super::records::shop::{TokenRecord, LEASE_UNTIL, RENEW_AFTER, TOKEN, VALID_UNTIL};
use super::records::{rfc3339, text, PK, SK};
use super::{keys, Store};
use crate::domain::error::TallyError;
use crate::domain::Time;

/// A token as the table holds it.
#[derive(Clone, PartialEq, Eq)]
pub struct SharedToken {
    pub token: String,
    pub valid_until: Time,
    /// From when a Lambda fetches the next one rather than start calls with this one.
    pub renew_after: Time,
}

impl std::fmt::Debug for SharedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SharedToken").field("valid_until", &self.valid_until).finish_non_exhaustive()
    }
}

impl Store {
    /// The shop's token, if one was fetched.
    pub async fn shared_token(&self, domain: &str) -> Result<Option<SharedToken>, TallyError> {
        let record: Option<TokenRecord> = self.get(keys::token(domain)).await?;
        Ok(record.and_then(|r| {
            let valid_until = r.valid_until?;
            Some(SharedToken { token: r.token?, valid_until, renew_after: r.renew_after.unwrap_or(valid_until) })
        }))
    }

    /// Takes the lease to fetch a new token, until `until`; `false` while another Lambda holds it.
    pub async fn lease_token(&self, domain: &str, now: Time, until: Time) -> Result<bool, TallyError> {
        let result = self
            .update_item(keys::token(domain))
            .condition_expression("attribute_not_exists(#lease) OR #lease < :now")
            .update_expression("SET #lease = :until")
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":now", text(rfc3339(now)))
            .expression_attribute_values(":until", text(rfc3339(until)))
            .send()
            .await;
        written(result)
    }

    /// Lets go of the lease taken until `until`, if it is still this one's (a fetch that failed).
    pub async fn release_token_lease(&self, domain: &str, until: Time) -> Result<(), TallyError> {
        let result = self
            .update_item(keys::token(domain))
            .condition_expression("#lease = :until")
            .update_expression("REMOVE #lease")
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":until", text(rfc3339(until)))
            .send()
            .await;
        written(result).map(|_| ())
    }

    /// Keeps a fetched token for every Lambda, and lets the lease go.
    pub async fn share_token(&self, domain: &str, token: &SharedToken) -> Result<(), TallyError> {
        self.update_item(keys::token(domain))
            .update_expression(
                "SET #token = :token, #validUntil = :validUntil, #renewAfter = :renewAfter REMOVE #lease",
            )
            .expression_attribute_names("#token", TOKEN.name())
            .expression_attribute_names("#validUntil", VALID_UNTIL.name())
            .expression_attribute_names("#renewAfter", RENEW_AFTER.name())
            .expression_attribute_values(":renewAfter", text(rfc3339(token.renew_after)))
            .expression_attribute_names("#lease", LEASE_UNTIL.name())
            .expression_attribute_values(":token", text(&token.token))
            .expression_attribute_values(":validUntil", text(rfc3339(token.valid_until)))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }

    /// Forgets the shop's token: its credentials changed, or the app was uninstalled.
    pub async fn forget_token(&self, domain: &str) -> Result<(), TallyError> {
        let (pk, sk) = keys::token(domain);
        self.client
            .delete_item()
            .table_name(&self.table)
            .key(PK.name(), text(pk))
            .key(SK.name(), text(sk))
            .send()
            .await
            .map_err(internal)?;
        Ok(())
    }
}
