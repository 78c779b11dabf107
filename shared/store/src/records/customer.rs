//! A customer's profile item, and the small items that name a customer: an identifier's owner, an entry
//! of the shop's customers.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tally_app::ports::StoreError;
use tally_domain::customer::{Customer, CustomerStatus, Email, ExternalId, Phone, RewardTally};
use tally_domain::ids::CustomerId;
use tally_domain::lots::{Lot, Lots};
use tally_domain::Time;

use super::{corrupt, Attribute};

pub const CUSTOMER_ID: Attribute = Attribute("customerId");
pub const STATUS: Attribute = Attribute("status");
pub const AVAILABLE_POINTS: Attribute = Attribute("availablePoints");
pub const VERSION: Attribute = Attribute("version");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerRecord {
    pub customer_id: u64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
    #[serde(default)]
    pub vip_tier: Option<String>,
    pub status: CustomerStatus,
    pub available_points: i64,
    pub credited_points: i64,
    pub spent_points: i64,
    #[serde(default)]
    pub reserved_points: i64,
    /// The available points by expiry; absent on a record from before lots (all of them never expire).
    #[serde(default)]
    pub lots: Option<Vec<LotRecord>>,
    pub seq: u64,
    /// What the rewards come to (`RewardTally`); absent on a record from before it was kept.
    #[serde(default, rename = "tally", skip_serializing_if = "Option::is_none")]
    pub rewards: Option<TallyRecord>,
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: Time,
}

/// What a customer's rewards come to: short names, since the profile is written with every change.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct TallyRecord {
    /// How many rewards.
    pub n: u64,
    /// The store credit counted, as a decimal string.
    #[serde(with = "rust_decimal::serde::str")]
    pub sc: Decimal,
    /// How many rewards were made before they were kept in order (absent: none).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub old: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl From<RewardTally> for TallyRecord {
    fn from(t: RewardTally) -> Self {
        TallyRecord { n: t.count, sc: t.store_credit, old: t.unordered }
    }
}

impl From<TallyRecord> for RewardTally {
    fn from(t: TallyRecord) -> Self {
        RewardTally { count: t.n, store_credit: t.sc, unordered: t.old }
    }
}

/// A lot: points, and when they expire (absent: never).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotRecord {
    pub points: i64,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
}

impl From<&Lot> for LotRecord {
    fn from(l: &Lot) -> Self {
        LotRecord { points: l.points, expires_at: l.expires_at }
    }
}

impl From<LotRecord> for Lot {
    fn from(l: LotRecord) -> Self {
        Lot { points: l.points, expires_at: l.expires_at }
    }
}

/// An item that names a customer: the owner of an identifier in a shop, or an entry of the shop's customers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerIdRecord {
    pub customer_id: u64,
}

impl CustomerIdRecord {
    pub fn of(id: CustomerId) -> CustomerIdRecord {
        CustomerIdRecord { customer_id: id.get() }
    }

    pub fn id(&self) -> Result<CustomerId, StoreError> {
        CustomerId::new(self.customer_id).ok_or_else(|| corrupt("an item names customer 0"))
    }
}

impl From<&Customer> for CustomerRecord {
    fn from(c: &Customer) -> Self {
        CustomerRecord {
            customer_id: c.customer_id.get(),
            email: c.email.as_ref().map(|v| v.to_string()),
            phone: c.phone.as_ref().map(|v| v.to_string()),
            external_id: c.external_id.as_ref().map(|v| v.to_string()),
            vip_tier: c.vip_tier.clone(),
            status: c.status,
            available_points: c.available_points,
            credited_points: c.credited_points,
            spent_points: c.spent_points,
            reserved_points: c.reserved_points,
            lots: Some(c.lots.iter().map(LotRecord::from).collect()),
            seq: c.seq,
            rewards: c.rewards.map(TallyRecord::from),
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl TryFrom<CustomerRecord> for Customer {
    type Error = StoreError;

    fn try_from(r: CustomerRecord) -> Result<Self, StoreError> {
        Ok(Customer {
            customer_id: CustomerId::new(r.customer_id).ok_or_else(|| corrupt("a customer with id 0"))?,
            email: r.email.map(Email::stored),
            phone: r.phone.map(Phone::stored),
            external_id: r.external_id.map(ExternalId::stored),
            vip_tier: r.vip_tier,
            status: r.status,
            available_points: r.available_points,
            credited_points: r.credited_points,
            spent_points: r.spent_points,
            reserved_points: r.reserved_points,
            lots: match r.lots {
                Some(lots) => Lots::from_lots(lots.into_iter().map(Lot::from)),
                None => Lots::without_expiry(r.available_points),
            },
            seq: r.seq,
            rewards: r.rewards.map(RewardTally::from),
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_domain::customer::Enrollment;

    fn record() -> CustomerRecord {
        let enrolled = Enrollment::new(1, "a@b.co", Some("+14155552671"), None, None).unwrap();
        CustomerRecord::from(&enrolled.apply(None, Time::UNIX_EPOCH).unwrap().0)
    }

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        super::super::check::written_under(&record(), &[CUSTOMER_ID, STATUS, AVAILABLE_POINTS, VERSION]);
        super::super::check::written_under(&CustomerIdRecord { customer_id: 1 }, &[CUSTOMER_ID]);
        let back = Customer::try_from(record()).unwrap();
        assert_eq!(CustomerRecord::from(&back).phone.as_deref(), Some("+14155552671"));
    }

    #[test]
    fn a_record_from_before_lots_holds_its_balance_in_the_lot_that_never_expires() {
        let mut old = record();
        (old.available_points, old.lots) = (700, None);
        let customer = Customer::try_from(old).unwrap();
        assert_eq!(customer.lots.iter().copied().collect::<Vec<_>>(), [Lot { points: 700, expires_at: None }]);
        assert_eq!(CustomerRecord::from(&customer).lots.map(|l| l.len()), Some(1), "written with its lot from then on");
    }
}
