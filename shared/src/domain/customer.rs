//! Customers and their balances.

use super::ledger::{BalanceChange, LedgerEntry, LotChange};
use super::lots::{Lot, Lots};
use super::{vocabulary, Time, MAX_TIER_LENGTH};

vocabulary! {
    pub enum CustomerStatus {
        Active = "ACTIVE",
        Inactive = "INACTIVE",
        Excluded = "EXCLUDED",
        ExcludedByCustomer = "EXCLUDED_BY_CUSTOMER",
    }
}

/// A customer's loyalty record. Ledger entry `n` holds the balance after the customer's `n`th change,
/// so the ledger is gapless and ordered, and the newest entry always agrees with the record.
#[derive(Debug, Clone, PartialEq)]
pub struct Customer {
    pub customer_id: u64,
    pub email: Option<String>,
    /// E.164, unique in the shop.
    pub phone: Option<String>,
    /// A POS or CRM id, unique in the shop.
    pub external_id: Option<String>,
    pub vip_tier: Option<String>,
    pub status: CustomerStatus,
    pub available_points: i64,
    /// Points ever given to the customer.
    pub credited_points: i64,
    /// Points ever spent on rewards (net of rewards that failed or were refunded).
    pub spent_points: i64,
    /// Points held for rewards paid for when their order arrives; not available.
    pub reserved_points: i64,
    /// The available points by when they expire.
    pub lots: Lots,
    /// The number of balance changes so far: the `seq` of the newest ledger entry.
    pub seq: u64,
    /// Bumped by every write of the record; each write is conditioned on the version it read.
    pub version: u64,
    pub created_at: Time,
    pub updated_at: Time,
}

/// A customer joining the program (`POST /api/external/customers`, or Shopify's `customers/create`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub customer_id: u64,
    pub email: String,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub vip_tier: Option<String>,
}

/// The longest external id (a POS or CRM id).
pub const MAX_EXTERNAL_ID: usize = 64;

/// The largest integer JavaScript reads exactly, 2^53 - 1: no balance or counter goes beyond it.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// What an enrollment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolled {
    New,
    /// A customer who had left came back, with the balance and rewards they had.
    Reactivated,
}

/// What is wrong with an enrollment.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollmentError {
    #[error("customerId must be a Shopify customer id")]
    CustomerId,
    #[error("email must be a valid email address")]
    Email,
    #[error("phone must be in E.164 form, like +14155552671")]
    Phone,
    #[error("externalId must be 1 to {MAX_EXTERNAL_ID} printable characters")]
    ExternalId,
    #[error("vipTier must be at most {MAX_TIER_LENGTH} characters")]
    VipTier,
}

impl Customer {
    pub fn enrolled(enrollment: Enrollment, at: Time) -> Customer {
        Customer {
            customer_id: enrollment.customer_id,
            email: Some(enrollment.email),
            phone: enrollment.phone,
            external_id: enrollment.external_id,
            vip_tier: enrollment.vip_tier,
            status: CustomerStatus::Active,
            available_points: 0,
            credited_points: 0,
            spent_points: 0,
            reserved_points: 0,
            lots: Lots::default(),
            seq: 0,
            version: 0,
            created_at: at,
            updated_at: at,
        }
    }

    /// The record of a customer who left the program and enrolls again; the balance is kept.
    pub fn reenrolled(&self, enrollment: Enrollment, at: Time) -> Customer {
        let mut next = self.clone();
        next.status = CustomerStatus::Active;
        next.email = Some(enrollment.email);
        next.phone = enrollment.phone.or(next.phone);
        next.external_id = enrollment.external_id.or(next.external_id);
        next.vip_tier = enrollment.vip_tier.or(next.vip_tier);
        next.version += 1;
        next.updated_at = at;
        next
    }

    /// The record after `change`, with the ledger entry that records it and the lots it took points from;
    /// `None` when a counter would leave the integers every client reads exactly (JavaScript's safe
    /// integers).
    pub fn apply(&self, change: &BalanceChange, at: Time) -> Option<Applied> {
        let add = |counter: i64, delta: i64| counter.checked_add(delta).filter(|n| n.abs() <= MAX_SAFE_INTEGER);
        let mut next = self.clone();
        let mut available = change.available;
        let taken = match &change.lots {
            LotChange::Add(expires_at) => {
                next.lots.add(change.available, *expires_at);
                vec![]
            }
            LotChange::Take => next.lots.take(-change.available),
            LotChange::Return(from) => {
                next.lots.give_back(change.available, from);
                vec![]
            }
            LotChange::Expire(when) => {
                available = -next.lots.expire(*when);
                vec![]
            }
            LotChange::Keep => vec![],
        };
        next.available_points = add(self.available_points, available)?;
        next.reserved_points = add(self.reserved_points, change.reserved)?;
        next.spent_points = add(self.spent_points, change.spent)?;
        next.credited_points = add(self.credited_points, change.credited)?;
        next.seq += 1;
        next.version += 1;
        next.updated_at = at;
        let entry = LedgerEntry {
            seq: next.seq,
            customer_id: self.customer_id,
            kind: change.kind,
            delta: available,
            reserved_delta: change.reserved,
            balance_after: next.available_points,
            reason: change.reason.clone(),
            reward_id: change.reward_id,
            order_id: change.order_id,
            at,
        };
        Some(Applied { customer: next, entry, taken })
    }
}

/// A change applied to a customer: the record after it, the ledger entry, and the lots it took from.
#[derive(Debug, Clone, PartialEq)]
pub struct Applied {
    pub customer: Customer,
    pub entry: LedgerEntry,
    pub taken: Vec<Lot>,
}

impl Enrollment {
    /// The enrollment with its email normalised and its tier trimmed, or what is wrong with it.
    pub fn checked(mut self) -> Result<Enrollment, EnrollmentError> {
        if self.customer_id == 0 {
            return Err(EnrollmentError::CustomerId);
        }
        self.email = normalize_email(&self.email).ok_or(EnrollmentError::Email)?;
        self.phone = self.phone.take().map(|p| normalize_phone(&p).ok_or(EnrollmentError::Phone)).transpose()?;
        self.external_id = self
            .external_id
            .take()
            .map(|id| normalize_external_id(&id).ok_or(EnrollmentError::ExternalId))
            .transpose()?;
        self.vip_tier = self.vip_tier.take().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if self.vip_tier.as_ref().is_some_and(|t| t.chars().count() > MAX_TIER_LENGTH) {
            return Err(EnrollmentError::VipTier);
        }
        Ok(self)
    }
}

/// How a request names a customer: exactly one identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(u64),
    Email(String),
    Phone(String),
    ExternalId(String),
}

/// The identifiers a request may name a customer by, as the request gives them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CustomerParts<'a> {
    pub id: Option<u64>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub external_id: Option<&'a str>,
}

/// How a request names its customer went wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomerRefError {
    #[error("customerId must be a Shopify customer id")]
    ZeroId,
    #[error("customerEmail must be a valid email address")]
    BadEmail,
    #[error("customerPhone must be in E.164 form, like +14155552671")]
    BadPhone,
    #[error("customerExternalId must be 1 to {MAX_EXTERNAL_ID} printable characters")]
    BadExternalId,
    #[error("name the customer once: this request gives {0}; give exactly one of customerId, customerEmail, customerPhone, customerExternalId")]
    Several(String),
    #[error("one of customerId, customerEmail, customerPhone, customerExternalId is required")]
    Neither,
}

impl CustomerRef {
    pub fn from_parts(parts: CustomerParts<'_>) -> Result<CustomerRef, CustomerRefError> {
        let given: Vec<&str> = [
            ("customerId", parts.id.is_some()),
            ("customerEmail", parts.email.is_some()),
            ("customerPhone", parts.phone.is_some()),
            ("customerExternalId", parts.external_id.is_some()),
        ]
        .into_iter()
        .filter_map(|(name, given)| given.then_some(name))
        .collect();
        if given.len() > 1 {
            return Err(CustomerRefError::Several(given.join(" and ")));
        }
        match parts {
            CustomerParts { id: Some(0), .. } => Err(CustomerRefError::ZeroId),
            CustomerParts { id: Some(id), .. } => Ok(CustomerRef::Id(id)),
            CustomerParts { email: Some(email), .. } => {
                normalize_email(email).map(CustomerRef::Email).ok_or(CustomerRefError::BadEmail)
            }
            CustomerParts { phone: Some(phone), .. } => {
                normalize_phone(phone).map(CustomerRef::Phone).ok_or(CustomerRefError::BadPhone)
            }
            CustomerParts { external_id: Some(id), .. } => {
                normalize_external_id(id).map(CustomerRef::ExternalId).ok_or(CustomerRefError::BadExternalId)
            }
            _ => Err(CustomerRefError::Neither),
        }
    }
}

impl std::fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CustomerRef::Id(id) => write!(f, "customerId {id}"),
            CustomerRef::Email(email) => write!(f, "customerEmail {email}"),
            CustomerRef::Phone(phone) => write!(f, "customerPhone {phone}"),
            CustomerRef::ExternalId(id) => write!(f, "customerExternalId {id}"),
        }
    }
}

/// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0; `None` when it is not one.
pub fn normalize_phone(phone: &str) -> Option<String> {
    let digits = phone.trim().strip_prefix('+')?;
    let fits =
        (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
    fits.then(|| format!("+{digits}"))
}

/// An external id, trimmed: 1 to 64 characters, none of them a control character.
pub fn normalize_external_id(id: &str) -> Option<String> {
    let id = id.trim();
    let fits = !id.is_empty() && id.chars().count() <= MAX_EXTERNAL_ID && !id.chars().any(char::is_control);
    fits.then(|| id.to_string())
}

/// Emails are matched case-insensitively; `None` when it is not an email at all.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@');
    plausible.then_some(email)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::LedgerKind;

    fn enrollment(email: &str) -> Enrollment {
        Enrollment {
            customer_id: 7,
            email: email.into(),
            phone: None,
            external_id: None,
            vip_tier: Some("  Gold ".into()),
        }
    }

    #[test]
    fn emails_are_compared_without_case_and_nonsense_is_refused() {
        assert_eq!(normalize_email(" Ana@Example.COM "), Some("ana@example.com".into()));
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@example.com"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_customer_is_named_exactly_once() {
        let parts = |id, email, phone, external_id| CustomerParts { id, email, phone, external_id };
        let from = |id, email, phone, ext| CustomerRef::from_parts(parts(id, email, phone, ext));
        assert_eq!(from(Some(7), None, None, None), Ok(CustomerRef::Id(7)));
        assert_eq!(from(None, Some(" A@B.co"), None, None), Ok(CustomerRef::Email("a@b.co".into())));
        assert_eq!(from(None, None, Some("+14155552671"), None), Ok(CustomerRef::Phone("+14155552671".into())));
        assert_eq!(from(None, None, Some("+04155552671"), None), Err(CustomerRefError::BadPhone));
        assert_eq!(from(None, None, None, Some(" POS-1 ")), Ok(CustomerRef::ExternalId("POS-1".into())));
        let two = from(Some(7), None, Some("+14155552671"), None).unwrap_err();
        assert_eq!(two, CustomerRefError::Several("customerId and customerPhone".into()));
        assert!(two.to_string().contains("gives customerId and customerPhone"), "{two}");
        assert_eq!(from(None, None, None, None), Err(CustomerRefError::Neither));
        assert_eq!(from(Some(0), None, None, None), Err(CustomerRefError::ZeroId));
        assert_eq!(from(None, Some("nobody"), None, None), Err(CustomerRefError::BadEmail));
        assert_eq!(from(None, None, Some("4155552671"), None), Err(CustomerRefError::BadPhone));
        assert_eq!(from(None, None, None, Some(&"x".repeat(65))), Err(CustomerRefError::BadExternalId));
    }

    #[test]
    fn an_enrollment_is_normalised_or_refused_with_its_reason() {
        let checked = enrollment("Ana@Example.com").checked().unwrap();
        assert_eq!((checked.email.as_str(), checked.vip_tier.as_deref()), ("ana@example.com", Some("Gold")));
        assert_eq!(enrollment("nope").checked(), Err(EnrollmentError::Email));
        let phone = Enrollment { phone: Some("4155552671".into()), ..enrollment("a@b.co") };
        assert_eq!(phone.checked(), Err(EnrollmentError::Phone));
        let zero = Enrollment { customer_id: 0, ..enrollment("a@b.co") };
        assert_eq!(zero.checked(), Err(EnrollmentError::CustomerId));
    }

    #[test]
    fn each_change_moves_the_counters_and_writes_the_next_ledger_entry() {
        let at = Time::UNIX_EPOCH;
        let customer = Customer::enrolled(enrollment("a@b.co"), at);
        let apply = |c: &Customer, change| c.apply(&change, at).map(|a| (a.customer, a.entry)).unwrap();
        let (credited, first) = apply(&customer, BalanceChange::adjust(1000, "welcome"));
        let (reserved, second) = apply(&credited, BalanceChange::reserve(300, 9));
        let (spent, third) = apply(&reserved, BalanceChange::spend_reservation(300, 9, "order #1"));
        assert_eq!((first.seq, second.seq, third.seq), (1, 2, 3));
        assert_eq!((second.kind, second.delta, second.reserved_delta), (LedgerKind::Reserve, -300, 300));
        assert_eq!((spent.available_points, spent.reserved_points, spent.spent_points), (700, 0, 300));
        assert_eq!((spent.credited_points, spent.version, third.balance_after), (1000, 3, 700));
    }

    #[test]
    fn lots_follow_the_points_and_expiry_moves_what_has_expired_once() {
        use time::macros::datetime;
        let (at, soon, later) = (Time::UNIX_EPOCH, datetime!(2027-01-01 0:00 UTC), datetime!(2027-06-01 0:00 UTC));
        let apply = |c: &Customer, change: BalanceChange| c.apply(&change, at).unwrap();
        let mut c = Customer::enrolled(enrollment("a@b.co"), at);
        for (points, expiry) in [(100, Some(later)), (50, Some(soon)), (10, None)] {
            c = apply(&c, BalanceChange::adjust(points, "given").expiring(expiry)).customer;
        }
        let paid = apply(&c, BalanceChange::redeem(80, 1));
        let (fifty, thirty) = (Lot { points: 50, expires_at: Some(soon) }, Lot { points: 30, expires_at: Some(later) });
        assert_eq!(paid.taken, [fifty, thirty]);
        let back = apply(&paid.customer, BalanceChange::reverse_redeem(80, 1, "failed").from_lots(&paid.taken));
        assert_eq!(back.customer.lots, c.lots, "back to the lots they came from");
        let expired = back.customer.apply(&BalanceChange::expire_lots(soon), soon).unwrap();
        assert_eq!(
            (expired.entry.delta, expired.entry.kind, expired.customer.available_points),
            (-50, LedgerKind::PointsExpired, 110)
        );
        let again = expired.customer.apply(&BalanceChange::expire_lots(soon), soon).unwrap();
        assert_eq!(again.entry.delta, 0, "nothing left to expire");
    }

    #[test]
    fn no_counter_passes_javascripts_safe_integers() {
        let mut customer = Customer::enrolled(enrollment("a@b.co"), Time::UNIX_EPOCH);
        customer.available_points = MAX_SAFE_INTEGER - 10;
        customer.credited_points = MAX_SAFE_INTEGER - 10;
        assert!(customer.apply(&BalanceChange::adjust(10, "to the brim"), Time::UNIX_EPOCH).is_some());
        assert!(customer.apply(&BalanceChange::adjust(11, "one too many"), Time::UNIX_EPOCH).is_none());
    }
}
