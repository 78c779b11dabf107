//! Points are whole numbers. Clients (Appstle's among them) may write `100` or `100.0`; `100.5` is refused.

/// The largest balance or amount Tally accepts: well inside both i64 and JavaScript's safe integers.
pub const MAX_POINTS: i64 = 1_000_000_000_000;

/// The largest integer JavaScript reads exactly, 2^53 - 1: no balance or counter goes beyond it.
pub const MAX_SAFE_INTEGER: i64 = (1 << 53) - 1;

/// A strictly positive whole number of points.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Points(i64);

/// A number a client sent where points belong, as it was written.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Integer(i64),
    Float(f64),
}

/// What is wrong with a number of points; `field` names it as the client wrote it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PointsError {
    #[error("{field} must be a number, not {sent}")]
    NotANumber { field: &'static str, sent: String },
    #[error("{field} must be a whole number, not {sent}")]
    NotWhole { field: &'static str, sent: f64 },
    #[error("{field} must be positive, not {sent}")]
    NotPositive { field: &'static str, sent: i64 },
    #[error("{field} must be at most {MAX_POINTS}")]
    TooLarge { field: &'static str },
}

impl Points {
    pub fn new(field: &'static str, number: Number) -> Result<Points, PointsError> {
        let whole = match number {
            Number::Integer(n) => n,
            Number::Float(f) if f.fract() == 0.0 && f.abs() <= MAX_POINTS as f64 => f as i64,
            Number::Float(f) if f.fract() == 0.0 => return Err(PointsError::TooLarge { field }),
            Number::Float(sent) => return Err(PointsError::NotWhole { field, sent }),
        };
        if whole <= 0 {
            return Err(PointsError::NotPositive { field, sent: whole });
        }
        if whole > MAX_POINTS {
            return Err(PointsError::TooLarge { field });
        }
        Ok(Points(whole))
    }

    pub const fn get(self) -> i64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_numbers_are_accepted_in_either_form() {
        assert_eq!(Points::new("points", Number::Integer(100)).map(Points::get), Ok(100));
        assert_eq!(Points::new("points", Number::Float(100.0)).map(Points::get), Ok(100));
    }

    #[test]
    fn fractions_zero_negatives_and_huge_numbers_are_refused_by_name() {
        for bad in [Number::Float(100.5), Number::Integer(0), Number::Integer(-5), Number::Float(1e300)] {
            assert!(Points::new("points", bad).is_err(), "{bad:?} should be refused");
        }
        let refused = Points::new("pointsCost", Number::Float(10.5)).unwrap_err();
        assert_eq!(refused.to_string(), "pointsCost must be a whole number, not 10.5");
        assert!(Points::new("points", Number::Integer(MAX_POINTS + 1)).is_err());
    }
}
