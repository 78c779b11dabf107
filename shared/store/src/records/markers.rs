//! Markers: items that only say that something happened (an order was cancelled, a delivery was handled),
//! and expire with the table's TTL.

use serde::{Deserialize, Serialize};

use tally_domain::Time;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MarkerRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub at: Time,
    /// DynamoDB's TTL attribute (`EXPIRES_AT`): seconds since the Unix epoch.
    pub expires_at: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marker_expires_by_the_table_s_ttl_attribute() {
        let marker = MarkerRecord { at: Time::UNIX_EPOCH, expires_at: 1 };
        super::super::check::written_under(&marker, &[super::super::EXPIRES_AT]);
    }
}
