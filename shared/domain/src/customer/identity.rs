//! How a customer is found: Shopify's id, or an identifier unique in the shop (an email, a phone number, a
//! POS or CRM id), each a validated type; and how a request names its customer, by exactly one of them.

use std::fmt;

use crate::ids::CustomerId;

/// The longest external id (a POS or CRM id).
pub const MAX_EXTERNAL_ID: usize = 64;

macro_rules! identifier {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// A value read back from storage, where it was written only once checked (one saved before
            /// the check was this strict is kept as it was).
            pub fn stored(value: String) -> $name {
                $name(value)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

identifier!(
    /// An email, lowercased: emails are matched without case.
    Email
);
identifier!(
    /// A phone number in E.164 form: `+`, then 8 to 15 digits, the first not 0.
    Phone
);
identifier!(
    /// A POS or CRM id, trimmed: 1 to 64 characters, none of them a control character.
    ExternalId
);

impl Email {
    pub fn parse(email: &str) -> Option<Email> {
        let email = email.trim().to_lowercase();
        let (local, domain) = email.split_once('@')?;
        let plausible = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && email.len() <= 254
            && !email.chars().any(char::is_whitespace)
            && !domain.contains('@');
        plausible.then_some(Email(email))
    }
}

impl Phone {
    pub fn parse(phone: &str) -> Option<Phone> {
        let digits = phone.trim().strip_prefix('+')?;
        let fits =
            (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0');
        fits.then(|| Phone(format!("+{digits}")))
    }
}

impl ExternalId {
    pub fn parse(id: &str) -> Option<ExternalId> {
        let id = id.trim();
        let fits = !id.is_empty() && id.chars().count() <= MAX_EXTERNAL_ID && !id.chars().any(char::is_control);
        fits.then(|| ExternalId(id.to_string()))
    }
}

/// The identifiers besides the id that find a customer in a shop: each is the customer's alone there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdentityKind {
    Email,
    Phone,
    ExternalId,
}

impl IdentityKind {
    pub const ALL: [IdentityKind; 3] = [IdentityKind::Email, IdentityKind::Phone, IdentityKind::ExternalId];
}

/// One identifier of a customer, of any kind.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Identity {
    Email(Email),
    Phone(Phone),
    ExternalId(ExternalId),
}

impl Identity {
    pub fn kind(&self) -> IdentityKind {
        match self {
            Identity::Email(_) => IdentityKind::Email,
            Identity::Phone(_) => IdentityKind::Phone,
            Identity::ExternalId(_) => IdentityKind::ExternalId,
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Identity::Email(v) => v.as_str(),
            Identity::Phone(v) => v.as_str(),
            Identity::ExternalId(v) => v.as_str(),
        }
    }
}

/// How a request names a customer: exactly one identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CustomerRef {
    Id(CustomerId),
    Identity(Identity),
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
        let identity = |identity: Option<Identity>, error| identity.map(CustomerRef::Identity).ok_or(error);
        match parts {
            CustomerParts { id: Some(id), .. } => {
                CustomerId::new(id).map(CustomerRef::Id).ok_or(CustomerRefError::ZeroId)
            }
            CustomerParts { email: Some(email), .. } => {
                identity(Email::parse(email).map(Identity::Email), CustomerRefError::BadEmail)
            }
            CustomerParts { phone: Some(phone), .. } => {
                identity(Phone::parse(phone).map(Identity::Phone), CustomerRefError::BadPhone)
            }
            CustomerParts { external_id: Some(id), .. } => {
                identity(ExternalId::parse(id).map(Identity::ExternalId), CustomerRefError::BadExternalId)
            }
            _ => Err(CustomerRefError::Neither),
        }
    }
}

impl fmt::Display for CustomerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CustomerRef::Id(id) => write!(f, "customerId {id}"),
            CustomerRef::Identity(Identity::Email(email)) => write!(f, "customerEmail {email}"),
            CustomerRef::Identity(Identity::Phone(phone)) => write!(f, "customerPhone {phone}"),
            CustomerRef::Identity(Identity::ExternalId(id)) => write!(f, "customerExternalId {id}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_without_case_and_nonsense_is_refused() {
        assert_eq!(Email::parse(" Ana@Example.COM ").map(|e| e.to_string()), Some("ana@example.com".into()));
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@example.com"] {
            assert_eq!(Email::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_customer_is_named_exactly_once() {
        let parts = |id, email, phone, external_id| CustomerParts { id, email, phone, external_id };
        let from = |id, email, phone, ext| CustomerRef::from_parts(parts(id, email, phone, ext));
        let named = |r: Result<CustomerRef, CustomerRefError>| r.map(|r| r.to_string());
        assert_eq!(named(from(Some(7), None, None, None)), Ok("customerId 7".into()));
        assert_eq!(named(from(None, Some(" A@B.co"), None, None)), Ok("customerEmail a@b.co".into()));
        assert_eq!(named(from(None, None, Some("+14155552671"), None)), Ok("customerPhone +14155552671".into()));
        assert_eq!(from(None, None, Some("+04155552671"), None), Err(CustomerRefError::BadPhone));
        assert_eq!(named(from(None, None, None, Some(" POS-1 "))), Ok("customerExternalId POS-1".into()));
        let two = from(Some(7), None, Some("+14155552671"), None).unwrap_err();
        assert_eq!(two, CustomerRefError::Several("customerId and customerPhone".into()));
        assert!(two.to_string().contains("gives customerId and customerPhone"), "{two}");
        assert_eq!(from(None, None, None, None), Err(CustomerRefError::Neither));
        assert_eq!(from(Some(0), None, None, None), Err(CustomerRefError::ZeroId));
        assert_eq!(from(None, Some("nobody"), None, None), Err(CustomerRefError::BadEmail));
        assert_eq!(from(None, None, Some("4155552671"), None), Err(CustomerRefError::BadPhone));
        assert_eq!(from(None, None, None, Some(&"x".repeat(65))), Err(CustomerRefError::BadExternalId));
    }
}
