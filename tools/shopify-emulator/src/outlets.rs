//! Stand-ins for the events' other destinations, checked against their documented shapes:
//! - EventBridge's `PutEvents` (AWS JSON 1.1 at `/`, `X-Amz-Target: AWSEvents.PutEvents`): 1 to 10 entries,
//!   each with `Source`, `DetailType`, `Detail` (a JSON object) and `EventBusName`, 256 KB in all;
//! - Klaviyo's Create Event (`POST /api/events`, JSON:API, `Authorization: Klaviyo-API-Key …`, a `revision`):
//!   an event with its metric by name, a profile by email or phone and its `unique_id`, of which Klaviyo
//!   keeps one; 202 when taken, 429 with `Retry-After` when throttling.
//!
//! The control API lists what each received: `GET /__emulator/eventbridge/events`,
//! `GET /__emulator/klaviyo/events`.

use std::collections::BTreeSet;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};

use crate::faults::FaultMode;
use crate::Emulator;

/// PutEvents refuses a request above this many bytes of entries.
const MAX_PUT_EVENTS: usize = 256 * 1024;

#[derive(Debug, Default)]
pub struct Received {
    eventbridge: Vec<BusEvent>,
    klaviyo: Vec<KlaviyoEvent>,
    /// `(API key, unique_id)` of the events Klaviyo keeps.
    kept: BTreeSet<(String, String)>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
struct BusEvent {
    source: String,
    detail_type: String,
    /// The entry's `Detail`, read as JSON.
    detail: Value,
    event_bus_name: String,
    /// When the emulator received it, in milliseconds since the Unix epoch (for the benchmark's delays).
    received_at_ms: u128,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
struct KlaviyoEvent {
    api_key: String,
    revision: String,
    metric: String,
    unique_id: String,
    profile: Value,
    properties: Value,
    time: Value,
    /// Whether Klaviyo kept it: `false` for a repeat of a `unique_id` it has.
    kept: bool,
}

fn draw(faults: &std::sync::Mutex<crate::faults::Faults>) -> Option<FaultMode> {
    faults.lock().unwrap_or_else(|e| e.into_inner()).draw("", true)
}

fn aws_error(status: StatusCode, kind: &str, message: &str) -> Response {
    let body = json!({"__type": kind, "message": message}).to_string();
    (status, [("content-type", "application/x-amz-json-1.1")], body).into_response()
}

/// `POST /` as the AWS SDK calls a JSON 1.1 service: only `AWSEvents.PutEvents` is served.
pub async fn aws_json(State(emulator): State<Arc<Emulator>>, headers: HeaderMap, body: Bytes) -> Response {
    let target = headers.get("x-amz-target").and_then(|v| v.to_str().ok()).unwrap_or_default();
    if target != "AWSEvents.PutEvents" {
        return aws_error(StatusCode::BAD_REQUEST, "UnknownOperationException", "only AWSEvents.PutEvents is served");
    }
    let fault = draw(&emulator.eventbridge_faults);
    match fault {
        Some(FaultMode::Error) => return aws_error(StatusCode::INTERNAL_SERVER_ERROR, "InternalException", "emulated"),
        Some(FaultMode::Throttle) => return aws_error(StatusCode::BAD_REQUEST, "ThrottlingException", "Rate exceeded"),
        Some(FaultMode::Timeout) => tokio::time::sleep(std::time::Duration::from_secs(30)).await,
        _ => {}
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(_) => return aws_error(StatusCode::BAD_REQUEST, "SerializationException", "not JSON"),
    };
    let entries = request["Entries"].as_array().cloned().unwrap_or_default();
    if entries.is_empty() || entries.len() > 10 {
        return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "Entries must have 1 to 10 members");
    }
    if body.len() > MAX_PUT_EVENTS {
        return aws_error(StatusCode::BAD_REQUEST, "ValidationException", "Total size of the entries exceeds 256KB");
    }
    let mut answers = Vec::new();
    let mut failed = 0;
    let mut received = emulator.outlets.lock().unwrap_or_else(|e| e.into_inner());
    for (n, entry) in entries.iter().enumerate() {
        let text = |name: &str| entry[name].as_str().filter(|v| !v.is_empty()).map(str::to_string);
        let detail = text("Detail").and_then(|d| serde_json::from_str::<Value>(&d).ok()).filter(Value::is_object);
        let answer = match (text("Source"), text("DetailType"), detail, text("EventBusName")) {
            _ if fault == Some(FaultMode::UserError) => {
                json!({"ErrorCode": "InternalFailure", "ErrorMessage": "emulated failure of one entry"})
            }
            (Some(source), Some(detail_type), Some(detail), Some(event_bus_name)) => {
                let received_at_ms =
                    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_millis();
                received.eventbridge.push(BusEvent { source, detail_type, detail, event_bus_name, received_at_ms });
                json!({"EventId": format!("11710aed-b79e-4468-a20b-{:012}", received.eventbridge.len() + n)})
            }
            (_, _, None, _) => json!({"ErrorCode": "MalformedDetail", "ErrorMessage": "Detail is malformed."}),
            _ => {
                json!({"ErrorCode": "InvalidArgument", "ErrorMessage": "Source, DetailType and EventBusName are required."})
            }
        };
        failed += usize::from(answer.get("ErrorCode").is_some());
        answers.push(answer);
    }
    let body = json!({"FailedEntryCount": failed, "Entries": answers}).to_string();
    ([("content-type", "application/x-amz-json-1.1")], body).into_response()
}

fn klaviyo_error(status: StatusCode, code: &str, detail: &str) -> Response {
    let body = json!({"errors": [{"status": status.as_u16(), "code": code, "title": code, "detail": detail}]});
    (status, [("content-type", "application/vnd.api+json")], body.to_string()).into_response()
}

/// `POST /api/events`: Klaviyo's Create Event.
pub async fn klaviyo_event(State(emulator): State<Arc<Emulator>>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let Some(api_key) = header("authorization").strip_prefix("Klaviyo-API-Key ").map(str::to_string) else {
        return klaviyo_error(StatusCode::UNAUTHORIZED, "not_authenticated", "Missing or invalid private key.");
    };
    let revision = header("revision");
    let dated = revision.len() >= 10
        && time::Date::parse(&revision[..10], time::macros::format_description!("[year]-[month]-[day]")).is_ok();
    if !dated {
        return klaviyo_error(StatusCode::BAD_REQUEST, "invalid", "A revision header (YYYY-MM-DD) is required.");
    }
    if !header("content-type").starts_with("application/vnd.api+json") {
        return klaviyo_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "Use application/vnd.api+json.",
        );
    }
    let fault = draw(&emulator.klaviyo_faults);
    match fault {
        Some(FaultMode::Throttle) => {
            let mut answer = klaviyo_error(StatusCode::TOO_MANY_REQUESTS, "throttled", "Request was throttled.");
            answer.headers_mut().insert("retry-after", axum::http::HeaderValue::from_static("1"));
            return answer;
        }
        Some(FaultMode::Error) => {
            return klaviyo_error(StatusCode::SERVICE_UNAVAILABLE, "error", "Service unavailable.")
        }
        Some(FaultMode::UserError) => return klaviyo_error(StatusCode::BAD_REQUEST, "invalid", "Emulated refusal."),
        Some(FaultMode::Timeout) => tokio::time::sleep(std::time::Duration::from_secs(30)).await,
        _ => {}
    }
    let event: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let attributes = &event["data"]["attributes"];
    let metric = attributes["metric"]["data"]["attributes"]["name"].as_str().unwrap_or_default();
    let profile = &attributes["profile"]["data"]["attributes"];
    let unique_id = attributes["unique_id"].as_str().unwrap_or_default();
    let well_formed = event["data"]["type"] == "event"
        && attributes["metric"]["data"]["type"] == "metric"
        && attributes["profile"]["data"]["type"] == "profile"
        && !metric.is_empty()
        && (profile["email"].is_string() || profile["phone_number"].is_string())
        && attributes["properties"].is_object()
        && !unique_id.is_empty();
    if !well_formed {
        return klaviyo_error(StatusCode::BAD_REQUEST, "invalid", "The event is not a Create Event body.");
    }
    let mut received = emulator.outlets.lock().unwrap_or_else(|e| e.into_inner());
    let kept = received.kept.insert((api_key.clone(), unique_id.to_string()));
    received.klaviyo.push(KlaviyoEvent {
        api_key,
        revision,
        metric: metric.into(),
        unique_id: unique_id.into(),
        profile: profile.clone(),
        properties: attributes["properties"].clone(),
        time: attributes["time"].clone(),
        kept,
    });
    drop(received);
    if fault == Some(FaultMode::ErrorAfterDone) {
        return klaviyo_error(StatusCode::SERVICE_UNAVAILABLE, "error", "Service unavailable.");
    }
    StatusCode::ACCEPTED.into_response()
}

pub async fn eventbridge_events(State(emulator): State<Arc<Emulator>>) -> Response {
    Json(emulator.outlets.lock().unwrap_or_else(|e| e.into_inner()).eventbridge.clone()).into_response()
}

pub async fn klaviyo_events(State(emulator): State<Arc<Emulator>>) -> Response {
    Json(emulator.outlets.lock().unwrap_or_else(|e| e.into_inner()).klaviyo.clone()).into_response()
}
