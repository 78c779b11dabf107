//! Money on the wire. Answers carry it as a JSON number written exactly from its decimal (Appstle's
//! `number<double>` fields: `5.00` stays `5.00`); requests may give a number or a decimal string. Neither
//! way goes through a float: the number's own text is read and written.

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// An amount as a JSON number (`serialize_with`).
pub fn write<S: Serializer>(amount: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    let raw = RawValue::from_string(amount.to_string()).map_err(serde::ser::Error::custom)?;
    raw.serialize(serializer)
}

/// An optional amount as a JSON number, or `null`.
pub fn write_option<S: Serializer>(amount: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
    match amount {
        Some(amount) => write(amount, serializer),
        None => serializer.serialize_none(),
    }
}

/// An amount a request gives: `5`, `5.00` or `"5.00"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Decimal);

impl<'de> Deserialize<'de> for Amount {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw: Box<RawValue> = Deserialize::deserialize(deserializer)?;
        let text = raw.get();
        // A string is a plain decimal; a number may also be written with an exponent.
        let parsed = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
            Some(digits) => Decimal::from_str_exact(digits),
            None => Decimal::from_str_exact(text).or_else(|_| Decimal::from_scientific(text)),
        };
        parsed
            .map(Amount)
            .map_err(|_| D::Error::custom(format!("{text} is not an amount: give a number or a decimal string")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Out {
        #[serde(serialize_with = "write")]
        amount: Decimal,
        #[serde(serialize_with = "write_option")]
        none: Option<Decimal>,
    }

    #[derive(Deserialize)]
    struct In {
        amount: Amount,
    }

    #[test]
    fn amounts_go_out_as_numbers_with_their_own_digits() {
        let out = Out { amount: "19.90".parse().unwrap(), none: None };
        assert_eq!(serde_json::to_string(&out).unwrap(), r#"{"amount":19.90,"none":null}"#);
        let huge = Out { amount: "79228162514264337593543950.335".parse().unwrap(), none: None };
        assert!(
            serde_json::to_string(&huge).unwrap().contains("79228162514264337593543950.335"),
            "no float on the way"
        );
    }

    #[test]
    fn amounts_come_in_as_numbers_or_strings_exactly() {
        let read = |json: &str| serde_json::from_str::<In>(json).map(|i| i.amount.0.to_string());
        assert_eq!(read(r#"{"amount": 5}"#).unwrap(), "5");
        assert_eq!(read(r#"{"amount": 5.10}"#).unwrap(), "5.10");
        assert_eq!(read(r#"{"amount": "19.99"}"#).unwrap(), "19.99");
        assert_eq!(read(r#"{"amount": 0.30000000000000004441}"#).unwrap(), "0.30000000000000004441");
        assert_eq!(read(r#"{"amount": 1e2}"#).unwrap(), "100");
        assert!(read(r#"{"amount": "five"}"#).is_err() && read(r#"{"amount": true}"#).is_err());
        assert!(read(r#"{"amount": "1e2"}"#).is_err(), "a string is a plain decimal, as openapi.yaml says");
    }
}
