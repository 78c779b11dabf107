//! Enrollment: a customer joining the program, or coming back to it, and which of their identifiers that
//! claims or releases.

use super::{Customer, CustomerStatus, Email, ExternalId, Identity, IdentityKind, Phone, MAX_EXTERNAL_ID};
use crate::ids::CustomerId;
use crate::lots::Lots;
use crate::{Time, MAX_TIER_LENGTH};

/// A customer joining the program (`POST /api/external/customers`, or Shopify's `customers/create`), as
/// checked: every identifier valid, the tier trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub customer_id: CustomerId,
    pub email: Email,
    pub phone: Option<Phone>,
    pub external_id: Option<ExternalId>,
    pub vip_tier: Option<String>,
}

/// What an enrollment did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Enrolled {
    New,
    /// A customer who had left came back, with the balance and rewards they had.
    Reactivated,
}

/// What is wrong with an enrollment as a client describes it.
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

/// Why a customer cannot be enrolled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EnrollRefused {
    #[error("Customer {0} is already enrolled")]
    AlreadyEnrolled(CustomerId),
    #[error("The customer is excluded from the loyalty program")]
    Excluded,
    #[error("The email {0} belongs to another customer")]
    EmailInUse(Email),
    #[error("The phone number {0} belongs to another customer")]
    PhoneInUse(Phone),
    #[error("The external id {0} belongs to another customer")]
    ExternalIdInUse(ExternalId),
}

impl EnrollRefused {
    /// The refusal when another customer holds `identity`.
    pub fn in_use(identity: Identity) -> EnrollRefused {
        match identity {
            Identity::Email(v) => EnrollRefused::EmailInUse(v),
            Identity::Phone(v) => EnrollRefused::PhoneInUse(v),
            Identity::ExternalId(v) => EnrollRefused::ExternalIdInUse(v),
        }
    }
}

impl Enrollment {
    /// An enrollment from what a client sent, normalised, or what is wrong with it.
    pub fn new(
        customer_id: u64,
        email: &str,
        phone: Option<&str>,
        external_id: Option<&str>,
        vip_tier: Option<&str>,
    ) -> Result<Enrollment, EnrollmentError> {
        let customer_id = CustomerId::new(customer_id).ok_or(EnrollmentError::CustomerId)?;
        let email = Email::parse(email).ok_or(EnrollmentError::Email)?;
        let phone = phone.map(|p| Phone::parse(p).ok_or(EnrollmentError::Phone)).transpose()?;
        let external_id = external_id.map(|id| ExternalId::parse(id).ok_or(EnrollmentError::ExternalId)).transpose()?;
        let vip_tier = vip_tier.map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if vip_tier.as_ref().is_some_and(|t| t.chars().count() > MAX_TIER_LENGTH) {
            return Err(EnrollmentError::VipTier);
        }
        Ok(Enrollment { customer_id, email, phone, external_id, vip_tier })
    }

    /// The identifiers this enrollment gives, which it claims. One a returning customer keeps without
    /// giving it again is left as it is: a phone saved before phones were unique may be another's now.
    pub fn identities(&self) -> Vec<Identity> {
        let mut given = vec![Identity::Email(self.email.clone())];
        given.extend(self.phone.clone().map(Identity::Phone));
        given.extend(self.external_id.clone().map(Identity::ExternalId));
        given
    }

    /// The record of a customer enrolled now, or of one coming back (`existing`, who left; the balance
    /// is kept), with what the enrollment did; an enrolled or excluded customer is refused.
    pub fn apply(self, existing: Option<&Customer>, at: Time) -> Result<(Customer, Enrolled), EnrollRefused> {
        let Some(existing) = existing else {
            let customer = Customer {
                customer_id: self.customer_id,
                email: Some(self.email),
                phone: self.phone,
                external_id: self.external_id,
                vip_tier: self.vip_tier,
                status: CustomerStatus::Active,
                available_points: 0,
                credited_points: 0,
                spent_points: 0,
                reserved_points: 0,
                lots: Lots::default(),
                seq: 0,
                rewards: Some(super::RewardTally::default()),
                version: 0,
                created_at: at,
                updated_at: at,
            };
            return Ok((customer, Enrolled::New));
        };
        match existing.status {
            CustomerStatus::Active => Err(EnrollRefused::AlreadyEnrolled(existing.customer_id)),
            CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer => Err(EnrollRefused::Excluded),
            CustomerStatus::Inactive => {
                let mut next = existing.clone();
                next.status = CustomerStatus::Active;
                next.email = Some(self.email);
                next.phone = self.phone.or(next.phone);
                next.external_id = self.external_id.or(next.external_id);
                next.vip_tier = self.vip_tier.or(next.vip_tier);
                next.version += 1;
                next.updated_at = at;
                Ok((next, Enrolled::Reactivated))
            }
        }
    }
}

/// The identifiers a returning customer had and no longer has (given new ones of the same kind): released.
pub fn released(before: &Customer, after: &Customer) -> Vec<Identity> {
    IdentityKind::ALL
        .into_iter()
        .filter_map(|kind| before.identity(kind).filter(|old| after.identity(kind).as_ref() != Some(old)))
        .collect()
}
