//! A customer's profile item, and the small items that find a customer: by email, in the shop's list.

use serde::{Deserialize, Serialize};

use super::Attribute;
use crate::domain::customer::{Customer, CustomerStatus};
use crate::domain::lots::{Lot, Lots};
use crate::domain::Time;

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
    pub version: u64,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: Time,
}

/// A lot: points, and when they expire (absent: never).
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LotRecord {
    pub points: i64,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Time>,
}

/// An item that names a customer: the owner of an email in a shop, or an entry of the shop's customers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerIdRecord {
    pub customer_id: u64,
}

impl From<&Customer> for CustomerRecord {
    fn from(c: &Customer) -> Self {
        CustomerRecord {
            customer_id: c.customer_id,
            email: c.email.clone(),
            phone: c.phone.clone(),
            external_id: c.external_id.clone(),
            vip_tier: c.vip_tier.clone(),
            status: c.status,
            available_points: c.available_points,
            credited_points: c.credited_points,
            spent_points: c.spent_points,
            reserved_points: c.reserved_points,
            lots: Some(c.lots.iter().map(|l| LotRecord { points: l.points, expires_at: l.expires_at }).collect()),
            seq: c.seq,
            version: c.version,
            created_at: c.created_at,
            updated_at: c.updated_at,
        }
    }
}

impl From<CustomerRecord> for Customer {
    fn from(r: CustomerRecord) -> Self {
        Customer {
            customer_id: r.customer_id,
            email: r.email,
            phone: r.phone,
            external_id: r.external_id,
            vip_tier: r.vip_tier,
            status: r.status,
            available_points: r.available_points,
            credited_points: r.credited_points,
            spent_points: r.spent_points,
            reserved_points: r.reserved_points,
            lots: match r.lots {
                Some(lots) => {
                    Lots::from_lots(lots.into_iter().map(|l| Lot { points: l.points, expires_at: l.expires_at }))
                }
                None => Lots::without_expiry(r.available_points),
            },
            seq: r.seq,
            version: r.version,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Enrollment;

    #[test]
    fn the_attributes_named_in_expressions_are_the_record_s() {
        let enrollment =
            Enrollment { customer_id: 1, email: "a@b.co".into(), phone: None, external_id: None, vip_tier: None };
        let record = CustomerRecord::from(&Customer::enrolled(enrollment, Time::UNIX_EPOCH));
        super::super::check::written_under(&record, &[CUSTOMER_ID, STATUS, AVAILABLE_POINTS, VERSION]);
        super::super::check::written_under(&CustomerIdRecord { customer_id: 1 }, &[CUSTOMER_ID]);
        let back = Customer::from(record.clone());
        assert_eq!(CustomerRecord::from(&back).created_at, record.created_at);
    }

    #[test]
    fn a_record_from_before_lots_holds_its_balance_in_the_lot_that_never_expires() {
        let enrollment =
            Enrollment { customer_id: 1, email: "a@b.co".into(), phone: None, external_id: None, vip_tier: None };
        let mut old = CustomerRecord::from(&Customer::enrolled(enrollment, Time::UNIX_EPOCH));
        (old.available_points, old.lots) = (700, None);
        let customer = Customer::from(old);
        assert_eq!(customer.lots.iter().copied().collect::<Vec<_>>(), [Lot { points: 700, expires_at: None }]);
        assert_eq!(CustomerRecord::from(&customer).lots.map(|l| l.len()), Some(1), "written with its lot from then on");
    }
}
