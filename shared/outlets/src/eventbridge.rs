//! The EventBridge bus: `PutEvents` through the AWS SDK, `Source` `tally`, `DetailType` the event's name.

use aws_sdk_eventbridge::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_eventbridge::operation::put_events::PutEventsError;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use tally_app::ports::outlets::{BusEntry, EventBus, OutletError, OutletResult};

/// Every event's `Source`.
pub const SOURCE: &str = "tally";

#[derive(Debug, Clone)]
pub struct EventBridge {
    client: aws_sdk_eventbridge::Client,
    bus: String,
}

impl EventBridge {
    pub fn new(client: aws_sdk_eventbridge::Client, bus: impl Into<String>) -> EventBridge {
        EventBridge { client, bus: bus.into() }
    }
}

impl EventBus for EventBridge {
    async fn put(&self, entries: &[BusEntry]) -> OutletResult<Vec<OutletResult<()>>> {
        let entries: Vec<PutEventsRequestEntry> = entries
            .iter()
            .map(|e| {
                PutEventsRequestEntry::builder()
                    .source(SOURCE)
                    .detail_type(&e.detail_type)
                    .detail(&e.detail)
                    .event_bus_name(&self.bus)
                    .build()
            })
            .collect();
        let sent = self.client.put_events().set_entries(Some(entries)).send().await.map_err(refused_or_not)?;
        Ok(sent.entries().iter().map(entry_result).collect())
    }
}

/// One entry's outcome: EventBridge names a failed entry's error by code; throttling and its internal
/// failures pass, anything else (a malformed detail, a bus that does not exist) will not.
fn entry_result(entry: &aws_sdk_eventbridge::types::PutEventsResultEntry) -> OutletResult<()> {
    match entry.error_code() {
        None => Ok(()),
        Some(code) if PASSING.contains(&code) => {
            Err(OutletError::Unavailable { detail: code.to_string(), retry_after: None })
        }
        Some(code) => Err(OutletError::Refused(format!("{code}: {}", entry.error_message().unwrap_or_default()))),
    }
}

/// The codes of EventBridge's errors that pass: throttling (an HTTP 400 with its code) and its own failures.
const PASSING: &[&str] =
    &["ThrottlingException", "Throttling", "ServiceUnavailable", "InternalException", "InternalFailure"];

fn refused_or_not(error: SdkError<PutEventsError>) -> OutletError {
    let detail = format!("{}", aws_sdk_eventbridge::error::DisplayErrorContext(&error));
    match &error {
        SdkError::ServiceError(service) => {
            let passing = service.err().code().is_some_and(|code| PASSING.contains(&code));
            match passing || service.raw().status().is_server_error() {
                true => OutletError::Unavailable { detail, retry_after: None },
                false => OutletError::Refused(detail),
            }
        }
        // Never sent: it may be tried again at once.
        SdkError::ConstructionFailure(_) | SdkError::DispatchFailure(_) => {
            OutletError::Unavailable { detail, retry_after: None }
        }
        // Sent, and the answer timed out or could not be read: it may have been taken.
        _ => OutletError::Unknown(detail),
    }
}
