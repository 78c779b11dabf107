//! Points are whole numbers. JSON clients (Appstle's among them) send `100` or `100.0`; `100.5` is refused.

use serde::{Deserialize, Deserializer};

/// The largest balance or amount Tally accepts: well inside both i64 and JavaScript's safe integers.
pub const MAX_POINTS: i64 = 1_000_000_000_000;

/// A strictly positive whole number of points, as read from a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Points(pub i64);

impl Points {
    pub fn from_json(value: &serde_json::Value) -> Result<Points, String> {
        let number = value.as_number().ok_or_else(|| format!("points must be a number, not {value}"))?;
        let whole = match (number.as_i64(), number.as_f64()) {
            (Some(n), _) => n,
            (None, Some(f)) if f.fract() == 0.0 && f.abs() <= MAX_POINTS as f64 => f as i64,
            _ => return Err(format!("points must be a whole number, not {number}")),
        };
        if whole <= 0 {
            return Err(format!("points must be positive, not {whole}"));
        }
        if whole > MAX_POINTS {
            return Err(format!("points must be at most {MAX_POINTS}"));
        }
        Ok(Points(whole))
    }
}

impl<'de> Deserialize<'de> for Points {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let value = serde_json::Value::deserialize(d)?;
        Points::from_json(&value).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn whole_numbers_are_accepted_in_either_json_form() {
        assert_eq!(Points::from_json(&json!(100)), Ok(Points(100)));
        assert_eq!(Points::from_json(&json!(100.0)), Ok(Points(100)));
    }

    #[test]
    fn fractions_zero_negatives_and_strings_are_refused() {
        for bad in [json!(100.5), json!(0), json!(-5), json!("100"), json!(null), json!(1e300)] {
            assert!(Points::from_json(&bad).is_err(), "{bad} should be refused");
        }
    }
}
