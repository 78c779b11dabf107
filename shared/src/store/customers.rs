//! Customers: enrollment, lookup, balances adjusted by hand, the loyalty view and the ledger.

use aws_sdk_dynamodb::types::{ConditionCheck, Delete, Put};

use super::balance::BalanceError;
use super::errors::internal;
use super::idempotency::Claim;
use super::records::customer::{CustomerIdRecord, CustomerRecord, CUSTOMER_ID, VERSION};
use super::records::ledger::LedgerRecord;
use super::records::reward::RewardRecord;
use super::records::{from_item, number, sort_key, text, to_item, PK, SK};
use super::transaction::{Part, Transaction, TxError};
use super::{keys, SortKey, Store};
use crate::domain::customer::{Applied, Customer, CustomerRef, CustomerStatus, Enrolled, Enrollment};
use crate::domain::effect::Effect;
use crate::domain::error::TallyError;
use crate::domain::ledger::{BalanceChange, LedgerEntry};
use crate::domain::reward::Reward;
use crate::domain::Time;

pub(super) const IDENTITY_FREE_OR_MINE: &str = "attribute_not_exists(#pk) OR #customer = :customer";

/// The identifiers that find a customer in a shop, besides the id: each has an item of its own that makes
/// it unique.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    Email,
    Phone,
    ExternalId,
}

impl Identity {
    pub(crate) const ALL: [Identity; 3] = [Identity::Email, Identity::Phone, Identity::ExternalId];

    pub(crate) fn of(self, customer: &Customer) -> Option<&str> {
        match self {
            Identity::Email => customer.email.as_deref(),
            Identity::Phone => customer.phone.as_deref(),
            Identity::ExternalId => customer.external_id.as_deref(),
        }
    }

    pub(crate) fn key(self, domain: &str, value: &str) -> keys::Key {
        match self {
            Identity::Email => keys::email(domain, value),
            Identity::Phone => keys::phone(domain, value),
            Identity::ExternalId => keys::external_id(domain, value),
        }
    }

    pub(crate) fn part(self) -> Part {
        match self {
            Identity::Email => Part::Email,
            Identity::Phone => Part::Phone,
            Identity::ExternalId => Part::ExternalId,
        }
    }

    fn old_part(self) -> Part {
        match self {
            Identity::Email => Part::OldEmail,
            Identity::Phone => Part::OldPhone,
            Identity::ExternalId => Part::OldExternalId,
        }
    }
}

impl Store {
    pub async fn get_customer(&self, domain: &str, customer_id: u64) -> Result<Option<Customer>, TallyError> {
        Ok(self.get::<CustomerRecord>(keys::customer(domain, customer_id)).await?.map(Customer::from))
    }

    /// The customer a request names, or `CUSTOMER_NOT_FOUND`.
    pub async fn find_customer(&self, domain: &str, who: &CustomerRef) -> Result<Customer, TallyError> {
        let lookup = match who {
            CustomerRef::Id(_) => None,
            CustomerRef::Email(email) => Some(keys::email(domain, email)),
            CustomerRef::Phone(phone) => Some(keys::phone(domain, phone)),
            CustomerRef::ExternalId(id) => Some(keys::external_id(domain, id)),
        };
        let id = match (who, lookup) {
            (CustomerRef::Id(id), _) => Some(*id),
            (_, Some(key)) => self.get::<CustomerIdRecord>(key).await?.map(|owner| owner.customer_id),
            (_, None) => None,
        };
        let customer = match id {
            Some(id) => self.get_customer(domain, id).await?,
            None => None,
        };
        customer.ok_or_else(|| TallyError::CustomerNotFound(who.clone()))
    }

    /// Enrolls a customer, or re-enrolls one who left; the email must not belong to anyone else.
    pub async fn enroll(
        &self,
        domain: &str,
        enrollment: Enrollment,
        claim: Option<&Claim>,
        at: Time,
    ) -> Result<(Customer, Enrolled), TallyError> {
        let mut previous = None;
        // The identifiers this enrollment gives: those are claimed; one a returning customer keeps without
        // giving it again is left as it is (a phone saved before phones were unique may be another's now).
        let given = |identity: Identity| match identity {
            Identity::Email => true,
            Identity::Phone => enrollment.phone.is_some(),
            Identity::ExternalId => enrollment.external_id.is_some(),
        };
        let given: Vec<Identity> = Identity::ALL.into_iter().filter(|i| given(*i)).collect();
        let (customer, outcome) = match self.get_customer(domain, enrollment.customer_id).await? {
            None => (Customer::enrolled(enrollment, at), Enrolled::New),
            Some(existing) => match existing.status {
                CustomerStatus::Active => return Err(TallyError::CustomerAlreadyEnrolled(existing.customer_id)),
                CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer => {
                    return Err(TallyError::CustomerExcluded)
                }
                CustomerStatus::Inactive => {
                    let reenrolled = existing.reenrolled(enrollment, at);
                    previous = Some(existing);
                    (reenrolled, Enrolled::Reactivated)
                }
            },
        };
        let mut transaction = Transaction::new();
        let profile = to_item(&CustomerRecord::from(&customer), keys::customer(domain, customer.customer_id))?;
        match outcome {
            Enrolled::New => transaction.put_new(&self.table, Part::Profile, profile)?,
            Enrolled::Reactivated => transaction.put(Part::Profile, self.put_versioned(profile, customer.version - 1)?),
        };
        // Each identifier is the customer's alone in the shop: its item is written if it is free or already
        // theirs, and one they had before and no longer have is released, in the same transaction.
        for identity in given {
            let now = identity.of(&customer);
            if let Some(value) = now {
                let claimed = self.claim_identity(identity.key(domain, value), customer.customer_id)?;
                transaction.put(identity.part(), claimed);
            }
            let before = previous.as_ref().and_then(|p| identity.of(p)).filter(|old| Some(*old) != now);
            if let Some(old) = before {
                let key = identity.key(domain, old);
                if self.owns(&key, customer.customer_id).await? {
                    transaction.delete(identity.old_part(), self.delete_owned(key, customer.customer_id)?);
                }
            }
        }
        if let Some(claim) = claim {
            let effect = Effect::Customer { customer_id: customer.customer_id, outcome };
            transaction.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
        }
        if outcome == Enrolled::New {
            let listing = CustomerIdRecord { customer_id: customer.customer_id };
            transaction.put_new(
                &self.table,
                Part::Listing,
                to_item(&listing, keys::customer_listing(domain, customer.customer_id))?,
            )?;
        }
        let in_use = |identity: Identity| identity.of(&customer).unwrap_or_default().to_string();
        match transaction.commit(&self.client).await {
            Ok(()) => Ok((customer, outcome)),
            Err(TxError::Failed(e)) => Err(e),
            Err(TxError::Cancelled(why)) if why.refused(Part::Profile) => {
                Err(TallyError::CustomerAlreadyEnrolled(customer.customer_id))
            }
            Err(TxError::Cancelled(why)) if why.refused(Part::Email) => {
                Err(TallyError::EmailInUse(in_use(Identity::Email)))
            }
            Err(TxError::Cancelled(why)) if why.refused(Part::Phone) => {
                Err(TallyError::PhoneInUse(in_use(Identity::Phone)))
            }
            Err(TxError::Cancelled(why)) if why.refused(Part::ExternalId) => {
                Err(TallyError::ExternalIdInUse(in_use(Identity::ExternalId)))
            }
            Err(TxError::Cancelled(why)) if why.refused(Part::Claim) => Err(super::claim_lost()),
            Err(TxError::Cancelled(_)) => Err(TallyError::Busy),
        }
    }

    /// Whether the item that makes an identifier unique names this customer (one saved before the
    /// identifier was unique may have no item, or another customer's).
    pub(super) async fn owns(&self, key: &keys::Key, customer_id: u64) -> Result<bool, TallyError> {
        Ok(self.get::<CustomerIdRecord>(key.clone()).await?.is_some_and(|owner| owner.customer_id == customer_id))
    }

    /// A put of the item that makes an identifier the customer's: only if it is free or theirs already.
    pub(super) fn claim_identity(&self, key: keys::Key, customer_id: u64) -> Result<Put, TallyError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(to_item(&CustomerIdRecord { customer_id }, key)?))
            .condition_expression(IDENTITY_FREE_OR_MINE)
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#customer", CUSTOMER_ID.name())
            .expression_attribute_values(":customer", number(customer_id))
            .build()
            .map_err(TallyError::internal)
    }

    /// Writes a customer record as it is, replacing what is there: for seeding and tests, never for balances.
    pub async fn put_customer_record(&self, domain: &str, customer: &Customer) -> Result<(), TallyError> {
        let listing = CustomerIdRecord { customer_id: customer.customer_id };
        let mut items = vec![
            to_item(&CustomerRecord::from(customer), keys::customer(domain, customer.customer_id))?,
            to_item(&listing, keys::customer_listing(domain, customer.customer_id))?,
        ];
        for identity in Identity::ALL {
            if let Some(value) = identity.of(customer) {
                items.push(to_item(&listing, identity.key(domain, value))?);
            }
        }
        for item in items {
            self.client.put_item().table_name(&self.table).set_item(Some(item)).send().await.map_err(internal)?;
        }
        Ok(())
    }

    /// Adds (positive, expiring at `expires_at` or never) or removes (negative) points, with the reason in
    /// the ledger.
    #[allow(clippy::too_many_arguments)]
    pub async fn adjust_points(
        &self,
        domain: &str,
        who: &CustomerRef,
        delta: i64,
        expires_at: Option<Time>,
        reason: &str,
        claim: Option<&Claim>,
        at: Time,
    ) -> Result<Customer, TallyError> {
        let customer = self.find_customer(domain, who).await?;
        let change = match delta > 0 {
            true => BalanceChange::adjust(delta, reason).expiring(expires_at),
            false => BalanceChange::adjust(delta, reason),
        };
        let mut with = Transaction::new();
        if let Some(claim) = claim {
            let effect = Effect::Balance { customer_id: customer.customer_id };
            with.update(Part::Claim, self.claim_effect(domain, claim, &effect)?);
        }
        match self.change_balance(domain, customer, &change, |_| Ok(with.clone()), true, at).await {
            Ok(applied) => Ok(applied.customer),
            Err(BalanceError::Refused(e)) => Err(e),
            Err(BalanceError::Conflict(_) | BalanceError::Nothing) => Err(super::claim_lost()),
        }
    }

    /// The customer's record and rewards, in one query.
    pub async fn loyalty(&self, domain: &str, customer_id: u64) -> Result<Option<(Customer, Vec<Reward>)>, TallyError> {
        let mut items = self.query(keys::customer_partition(domain, customer_id), SortKey::From(keys::PROFILE)).await?;
        let Some(position) = items.iter().position(|item| sort_key(item) == Some(keys::PROFILE)) else {
            return Ok(None);
        };
        let customer = from_item::<CustomerRecord>(items.swap_remove(position))?.into();
        let rewards = items
            .into_iter()
            .filter(|item| sort_key(item).is_some_and(|sk| sk.starts_with(keys::REWARD_PREFIX)))
            .map(|item| from_item::<RewardRecord>(item).map(Reward::from))
            .collect::<Result<_, _>>()?;
        Ok(Some((customer, rewards)))
    }

    /// The customer's ledger, oldest entry first.
    pub async fn ledger(&self, domain: &str, customer_id: u64) -> Result<Vec<LedgerEntry>, TallyError> {
        let items =
            self.query(keys::customer_partition(domain, customer_id), SortKey::Prefix(keys::LEDGER_PREFIX)).await?;
        items.into_iter().map(|item| from_item::<LedgerRecord>(item).map(LedgerEntry::from)).collect()
    }

    /// A page of the customer's ledger, newest first: at most `limit` entries older than `before` (a
    /// sequence number), and whether older ones remain. One query, however long the ledger.
    pub async fn ledger_page(
        &self,
        domain: &str,
        customer_id: u64,
        before: Option<u64>,
        limit: usize,
    ) -> Result<(Vec<LedgerEntry>, bool), TallyError> {
        let low = keys::ledger(domain, customer_id, 0).1;
        let high = match before {
            Some(seq) => keys::ledger(domain, customer_id, seq.saturating_sub(1)).1,
            None => format!("{}~", keys::LEDGER_PREFIX),
        };
        let take = i32::try_from(limit + 1).unwrap_or(i32::MAX);
        let page = self
            .client
            .query()
            .table_name(&self.table)
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", PK.name())
            .expression_attribute_names("#sk", SK.name())
            .expression_attribute_values(":pk", text(keys::customer_partition(domain, customer_id)))
            .expression_attribute_values(":low", text(low))
            .expression_attribute_values(":high", text(high))
            .scan_index_forward(false)
            .limit(take)
            .consistent_read(true)
            .send()
            .await
            .map_err(internal)?;
        let mut entries = page
            .items
            .unwrap_or_default()
            .into_iter()
            .map(|item| from_item::<LedgerRecord>(item).map(LedgerEntry::from))
            .collect::<Result<Vec<_>, _>>()?;
        let more = entries.len() > limit;
        entries.truncate(limit);
        Ok((entries, more))
    }

    /// The customers holding a lot that expires on or before `day` (UTC), with that lot's day.
    pub async fn lots_due(&self, domain: &str, day: time::Date) -> Result<Vec<(u64, time::Date)>, TallyError> {
        let high = format!("{}{day}#~", keys::LOTS_PREFIX);
        let items = self.query(keys::lot_listings(domain), SortKey::Between(keys::LOTS_PREFIX, &high)).await?;
        let read = |sk: &str| {
            let (day, customer) = sk.strip_prefix(keys::LOTS_PREFIX)?.split_once('#')?;
            let mut parts = day.splitn(3, '-').map(str::parse::<i32>);
            let (year, month, date) = (parts.next()?.ok()?, parts.next()?.ok()?, parts.next()?.ok()?);
            let month = time::Month::try_from(u8::try_from(month).ok()?).ok()?;
            let day = time::Date::from_calendar_date(year, month, u8::try_from(date).ok()?).ok()?;
            Some((customer.parse().ok()?, day))
        };
        Ok(items.iter().filter_map(|item| sort_key(item).and_then(read)).collect())
    }

    /// Removes the customer's points whose lots have expired at `at`, once, with a ledger entry; the
    /// listing of `day` goes with them when the customer has no lot that day any more, in the same
    /// transaction, so that points given back to that day meanwhile stay listed. Returns the points
    /// expired.
    pub async fn expire_lots(
        &self,
        domain: &str,
        customer_id: u64,
        day: time::Date,
        at: Time,
    ) -> Result<i64, TallyError> {
        let (pk, sk) = keys::lot_listing(domain, day, customer_id);
        let delete = || Delete::builder().table_name(&self.table).key(PK.name(), text(&pk)).key(SK.name(), text(&sk));
        let has_day = |c: &Customer| c.lots.iter().any(|l| l.expires_at.is_some_and(|e| e.date() == day));
        let Some(customer) = self.get_customer(domain, customer_id).await? else {
            let listing = delete().build().map_err(TallyError::internal)?;
            let (table, key) = (listing.table_name, listing.key);
            self.client.delete_item().table_name(table).set_key(Some(key)).send().await.map_err(internal)?;
            return Ok(0);
        };
        let unlist = |applied: &Applied| -> Result<Transaction, TallyError> {
            let mut unlist = Transaction::new();
            if !has_day(&applied.customer) {
                unlist.delete(Part::LotListing(0), delete().build().map_err(TallyError::internal)?);
            }
            Ok(unlist)
        };
        let change = BalanceChange::expire_lots(at);
        match self.change_balance(domain, customer.clone(), &change, unlist, false, at).await {
            Ok(applied) => Ok(-applied.entry.delta),
            Err(BalanceError::Nothing) if has_day(&customer) => Ok(0),
            Err(BalanceError::Nothing) => {
                // Nothing to expire and no lot that day: the listing goes, if the record is still as read.
                let (pk, sk) = keys::customer(domain, customer_id);
                let unchanged = ConditionCheck::builder()
                    .table_name(&self.table)
                    .key(PK.name(), text(pk))
                    .key(SK.name(), text(sk))
                    .condition_expression("#version = :version")
                    .expression_attribute_names("#version", VERSION.name())
                    .expression_attribute_values(":version", number(customer.version))
                    .build()
                    .map_err(TallyError::internal)?;
                let mut gone = Transaction::new();
                gone.check(Part::Profile, unchanged);
                gone.delete(Part::LotListing(0), delete().build().map_err(TallyError::internal)?);
                match gone.commit(&self.client).await {
                    Ok(()) | Err(TxError::Cancelled(_)) => Ok(0),
                    Err(TxError::Failed(e)) => Err(e),
                }
            }
            Err(BalanceError::Refused(e)) => Err(e),
            Err(BalanceError::Conflict(_)) => Err(TallyError::Busy),
        }
    }

    /// A put replacing the customer's profile, if nobody changed it since it was read at `read_version`.
    fn put_versioned(&self, profile: super::records::Item, read_version: u64) -> Result<Put, TallyError> {
        Put::builder()
            .table_name(&self.table)
            .set_item(Some(profile))
            .condition_expression("#version = :version")
            .expression_attribute_names("#version", VERSION.name())
            .expression_attribute_values(":version", number(read_version))
            .build()
            .map_err(TallyError::internal)
    }
}
