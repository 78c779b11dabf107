//! What Tally's things are and the rules they obey: types, state machines and pure functions. No I/O, no
//! clock and no randomness of its own (the time and the entropy are always arguments), no AWS, HTTP,
//! Shopify or storage types: the compiler holds that, since this crate depends on none of them.
//!
//! The reward's life is one state machine (`reward`): each change is a pure function that says what the
//! change does (`reward::RewardChange`), and a balance moves only through `customer::Customer::apply`.

pub mod customer;
pub mod effect;
pub mod error;
pub mod events;
pub mod ids;
pub mod ledger;
pub mod lots;
pub mod loyalty;
pub mod order;
pub mod points;
pub mod redemption;
pub mod refused;
pub mod reward;
pub mod rule;
pub mod shop;

pub use time::OffsetDateTime as Time;

/// A time as Tally writes it everywhere (storage, the wire, messages): RFC 3339, in UTC.
pub fn rfc3339(t: Time) -> String {
    t.checked_to_offset(time::UtcOffset::UTC)
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default()
}

/// The longest VIP tier name.
pub const MAX_TIER_LENGTH: usize = 64;

/// An enumeration whose words are Tally's vocabulary: the same words are stored and sent (Appstle's,
/// where Appstle has them). One table gives the word of each variant, for storage, the API and
/// conditions alike.
#[macro_export]
macro_rules! vocabulary {
    ($(#[$meta:meta])* pub enum $name:ident { $($(#[$vmeta:meta])* $variant:ident = $word:literal,)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
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

    #[test]
    fn a_time_past_what_rfc_3339_writes_is_written_as_nothing_rather_than_a_panic() {
        let far =
            time::Date::MAX.with_hms(23, 59, 59).unwrap().assume_offset(time::UtcOffset::from_hms(-1, 0, 0).unwrap());
        assert_eq!(super::rfc3339(far), "");
    }
}
