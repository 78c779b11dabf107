//! Identifiers. The numeric ids travel side by side (a customer's reward under a rule, used by an order), so
//! each is a type of its own. New ids, codes and keys are made from entropy the caller draws (the app's
//! `Random` port), so that the domain stays pure and a seeded run is repeatable.

use std::fmt;

use serde::{Deserialize, Serialize};

macro_rules! id {
    ($(#[$meta:meta])* $name:ident, $what:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
        #[serde(transparent)]
        pub struct $name(u64);

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let id = u64::deserialize(deserializer)?;
                $name::new(id).ok_or_else(|| serde::de::Error::custom(NotAnId($what)))
            }
        }

        impl $name {
            /// The id, if it is one: ids are positive.
            pub const fn new(id: u64) -> Option<$name> {
                match id {
                    0 => None,
                    id => Some($name(id)),
                }
            }

            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = NotAnId;

            fn from_str(s: &str) -> Result<$name, NotAnId> {
                s.parse().ok().and_then($name::new).ok_or(NotAnId($what))
            }
        }
    };
}

id!(
    /// Shopify's id of a customer.
    CustomerId,
    "customer id"
);
id!(
    /// A reward's id: a random integer below 2^53, so that JavaScript clients read it exactly.
    RewardId,
    "reward id"
);
id!(
    /// A redemption rule's id, counting up per shop (Appstle's are integers).
    RuleId,
    "rule id"
);
id!(
    /// Shopify's id of an order.
    OrderId,
    "order id"
);
id!(
    /// Shopify's id of a product variant.
    VariantId,
    "variant id"
);

/// Text that is not a positive integer id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {0} must be a positive integer")]
pub struct NotAnId(pub &'static str);

/// The largest integer JavaScript reads exactly, 2^53 - 1.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

impl RuleId {
    /// A shop's first rule.
    pub const FIRST: RuleId = RuleId(1);
}

impl RewardId {
    /// A reward id from 64 random bits: below 2^53, never 0.
    pub fn from_entropy(bits: u64) -> RewardId {
        RewardId((bits & MAX_SAFE_INTEGER).max(1))
    }
}

/// The characters of a code's random part: `A-Z0-9` without 0, O, 1 and I, which read alike.
const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// How many random characters a code has: about 50 bits, so that guessing another customer's code is hopeless.
pub const CODE_LENGTH: usize = 10;

/// A discount code: the shop's prefix and `CODE_LENGTH` characters drawn from `entropy`.
pub fn discount_code(prefix: &str, entropy: [u8; CODE_LENGTH]) -> String {
    let suffix: String = entropy.iter().map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char).collect();
    format!("{prefix}{suffix}")
}

/// An API key: `tly_` and 32 bytes of hex. Shown once, stored only as its hash.
pub fn api_key(entropy: [u8; 32]) -> String {
    format!("tly_{}", hex::encode(entropy))
}

/// A token that tells one holder of a lock or a claim from another.
pub fn token(entropy: [u8; 16]) -> String {
    hex::encode(entropy)
}

/// The stored form of an API key.
pub fn hash_api_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_the_prefix_and_only_unambiguous_characters() {
        let code = discount_code("TALLY-", [0, 31, 32, 200, 7, 8, 9, 10, 11, 255]);
        assert!(code.starts_with("TALLY-"));
        assert_eq!(code.len(), 16);
        assert!(code[6..].bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(discount_code("X", [1; 10]), discount_code("X", [2; 10]));
    }

    #[test]
    fn reward_ids_are_safe_javascript_integers() {
        for bits in [0, 1, u64::MAX, 1 << 53, (1 << 53) - 1] {
            let id = RewardId::from_entropy(bits).get();
            assert!(id > 0 && id < (1 << 53), "{bits}: {id}");
        }
    }

    #[test]
    fn ids_are_positive_and_read_from_text() {
        assert_eq!(CustomerId::new(0), None);
        assert_eq!("67890".parse::<CustomerId>().map(CustomerId::get), Ok(67890));
        assert_eq!("0".parse::<RuleId>(), Err(NotAnId("rule id")));
        assert!("-1".parse::<OrderId>().is_err() && "x".parse::<VariantId>().is_err());
        assert_eq!(serde_json::to_string(&RewardId::from_entropy(42)).unwrap(), "42");
        assert!(serde_json::from_str::<OrderId>("0").is_err() && serde_json::from_str::<OrderId>("7").is_ok());
    }

    #[test]
    fn keys_are_hashed_deterministically_and_never_stored_as_given() {
        let key = api_key([7; 32]);
        assert_eq!(hash_api_key(&key), hash_api_key(&key));
        assert_ne!(hash_api_key(&key), key);
        assert_eq!(hash_api_key(&key).len(), 64);
    }
}
