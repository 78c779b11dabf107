//! What Tally's records are and the rules they obey. No AWS, HTTP or Shopify types here.

pub mod customer;
pub mod effect;
pub mod error;
pub mod ids;
pub mod ledger;
pub mod points;
pub mod redemption;
pub mod reward;
pub mod rule;
pub mod shop;

/// The current time as RFC 3339, the one format Tally stores and returns.
pub fn now() -> time::OffsetDateTime {
    time::OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or_else(|_| time::OffsetDateTime::now_utc())
}

pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

/// Reads a JSON request body; what is wrong with it becomes a precise `INVALID_REQUEST`.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, error::TallyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(error::TallyError::invalid("the request needs a JSON body"));
    }
    serde_json::from_slice(body).map_err(|e| error::TallyError::invalid(format!("the body is not valid: {e}")))
}
