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
    /// A reward's id: the second it was made and 20 random bits, below 2^53 so that JavaScript clients read
    /// it exactly; a customer's rewards sort by it in the order they were made. (Rewards made before ids
    /// told their time have ids of 53 random bits.)
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

/// The second from which reward ids count: 2024-01-01T00:00:00Z. Ids last 2^33 seconds from it (272 years).
const REWARD_EPOCH: i64 = 1_704_067_200;
const REWARD_RANDOM_BITS: u32 = 20;

impl RewardId {
    /// A random id, as rewards had before ids told their time (for records of that time, and tests).
    pub fn from_entropy(bits: u64) -> RewardId {
        RewardId((bits & MAX_SAFE_INTEGER).max(1))
    }

    /// The id of a reward made at `at` (to the second), from random bits.
    pub fn made_at(at: crate::Time, bits: u64) -> RewardId {
        let seconds = (at.unix_timestamp() - REWARD_EPOCH).clamp(0, (1 << 33) - 1) as u64;
        let random = bits & ((1 << REWARD_RANDOM_BITS) - 1);
        RewardId(((seconds << REWARD_RANDOM_BITS) | random).max(1))
    }

    /// Whether this is the id `made_at` gives a reward made at `at`: false for the random ids of rewards
    /// made before ids told their time (but for one in 2^33 of them).
    pub fn tells(self, at: crate::Time) -> bool {
        let seconds = at.unix_timestamp() - REWARD_EPOCH;
        (0..1 << 33).contains(&seconds) && (self.0 >> REWARD_RANDOM_BITS) as i64 == seconds
    }

    /// When the reward was made, if this id tells it (an id of 53 random bits tells a time too, most often
    /// one far away: the store tells them apart by where it finds them).
    pub fn time(self) -> Option<crate::Time> {
        let seconds = (self.0 >> REWARD_RANDOM_BITS) as i64 + REWARD_EPOCH;
        crate::Time::from_unix_timestamp(seconds).ok()
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
    fn reward_ids_are_safe_javascript_integers_in_the_order_rewards_are_made() {
        let at = |s: i64| crate::Time::from_unix_timestamp(s).unwrap();
        for bits in [0, 1, u64::MAX, 1 << 53, (1 << 53) - 1] {
            for when in [0, REWARD_EPOCH, 1_800_000_000, REWARD_EPOCH + (1 << 33) + 5] {
                let id = RewardId::made_at(at(when), bits).get();
                assert!(id > 0 && id <= MAX_SAFE_INTEGER, "{bits} at {when}: {id}");
            }
        }
        let (earlier, later) = (at(1_800_000_000), at(1_800_000_001));
        assert!(RewardId::made_at(earlier, u64::MAX) < RewardId::made_at(later, 0));
        assert!(RewardId::made_at(later, 7).tells(later) && !RewardId::made_at(later, 7).tells(earlier));
        assert_eq!(RewardId::made_at(later, 7).time(), Some(later));
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
