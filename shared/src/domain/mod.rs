//! What Tally's things are and the rules they obey: types and pure functions. No I/O, no clock (the time is
//! always an argument), no AWS, HTTP, Shopify or storage types. The one outside source is randomness, for
//! ids and codes (`ids`).

pub mod customer;
pub mod effect;
pub mod error;
pub mod ids;
pub mod ledger;
pub mod lots;
pub mod loyalty;
pub mod order;
pub mod points;
pub mod redemption;
pub mod reward;
pub mod rule;
pub mod shop;

pub use time::OffsetDateTime as Time;

/// A time as Tally writes it everywhere (storage, the wire, messages): RFC 3339, in UTC.
pub fn rfc3339(t: Time) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// The longest VIP tier name.
pub const MAX_TIER_LENGTH: usize = 64;

/// An enumeration whose words are Tally's vocabulary: the same words are stored and sent (Appstle's,
/// where Appstle has them). One table gives the word of each variant, for storage, the API and
/// conditions alike.
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vmeta])* $variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $word,)+
                }
            }

            pub fn parse(word: &str) -> Option<$name> {
                match word {
                    $($word => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let word = String::deserialize(deserializer)?;
                $name::parse(&word).ok_or_else(|| serde::de::Error::unknown_variant(&word, &[$($word),+]))
            }
        }
    };
}

pub(crate) use vocabulary;

#[cfg(test)]
mod tests {
    use super::reward::RewardStatus;

    #[test]
    fn a_word_reads_back_as_its_variant_and_nothing_else_does() {
        for status in RewardStatus::ALL {
            assert_eq!(RewardStatus::parse(status.as_str()), Some(*status));
            let json = serde_json::to_string(status).unwrap();
            assert_eq!(serde_json::from_str::<RewardStatus>(&json).unwrap(), *status);
        }
        assert_eq!(RewardStatus::parse("used"), None, "words are exact");
        assert!(serde_json::from_str::<RewardStatus>("\"SPENT\"").is_err());
    }
}
