//! Klaviyo's Create Event API (`POST /api/events`, JSON:API, the `revision` header): one event per
//! `unique_id`, which Klaviyo keeps once however often it is sent.

use std::time::Duration;

use serde_json::json;
use tally_app::ports::outlets::{Klaviyo, KlaviyoEvent, OutletError, OutletResult};

/// Klaviyo's API, unless `KLAVIYO_URL` points elsewhere (the emulator).
pub const KLAVIYO_URL: &str = "https://a.klaviyo.com";
/// The longest a call to Klaviyo may take, answer read.
const TIMEOUT: Duration = Duration::from_secs(5);
/// The API revision Tally's requests are written for.
pub const KLAVIYO_REVISION: &str = "2026-10-15";

#[derive(Debug, Clone)]
pub struct KlaviyoHttp {
    http: tally_http::Https,
    base: String,
}

impl KlaviyoHttp {
    pub fn new(base: &str) -> Result<KlaviyoHttp, tally_http::HttpError> {
        let http = tally_http::Https::new(Duration::from_secs(2), concat!("tally/", env!("CARGO_PKG_VERSION")))?;
        Ok(KlaviyoHttp { http, base: base.trim_end_matches('/').to_string() })
    }
}

/// The request's JSON:API body: the metric by name, the profile by email or phone, the event's JSON as
/// its properties.
pub fn body(event: &KlaviyoEvent) -> serde_json::Value {
    let properties: serde_json::Value = serde_json::from_str(&event.properties).unwrap_or(json!({}));
    let mut profile = serde_json::Map::new();
    if let Some(email) = &event.email {
        profile.insert("email".into(), json!(email));
    }
    if let Some(phone) = &event.phone {
        profile.insert("phone_number".into(), json!(phone));
    }
    let time = event.time.format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
    json!({"data": {"type": "event", "attributes": {
        "properties": properties,
        "time": time,
        "unique_id": event.unique_id,
        "metric": {"data": {"type": "metric", "attributes": {"name": event.metric}}},
        "profile": {"data": {"type": "profile", "attributes": profile}},
    }}})
}

impl Klaviyo for KlaviyoHttp {
    async fn create_event(&self, key: &str, event: &KlaviyoEvent) -> OutletResult<()> {
        let url = format!("{}/api/events", self.base);
        let authorization = format!("Klaviyo-API-Key {key}");
        let headers = [
            ("authorization", authorization.as_str()),
            ("revision", KLAVIYO_REVISION),
            ("accept", "application/vnd.api+json"),
        ];
        let sent =
            self.http.post(&url, "application/vnd.api+json", &headers, body(event).to_string().into_bytes(), TIMEOUT);
        // Unreachable, or sent and unanswered: Klaviyo keeps one event per unique_id, so either is sent again.
        let answer = sent.await.map_err(|e| OutletError::Unavailable {
            detail: format!("Klaviyo did not answer: {e}"),
            retry_after: None,
        })?;
        let status = answer.status;
        if (200..300).contains(&status) {
            return Ok(());
        }
        let retry_after = answer
            .headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .map(Duration::from_secs);
        let detail = format!("Klaviyo answered HTTP {status}");
        match status {
            429 | 500..=599 => Err(OutletError::Unavailable { detail, retry_after }),
            _ => Err(OutletError::Refused(detail)),
        }
    }
}
