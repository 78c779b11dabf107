//! The glue of the `events` function: what Lambda gives it (a batch of the table's stream, through its event
//! source mapping, or the schedule's `{"retry": true}`) and what it answers (the partial batch response:
//! the first record to give again, by its sequence number).

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tally_domain::Time;

/// What the events function is asked to do.
#[derive(Debug)]
pub enum Invocation {
    /// Deliver a batch of the stream.
    Stream(StreamBatch),
    /// Try the outbox again (the schedule, or by hand).
    Retry,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamBatch {
    pub records: Vec<StreamRecord>,
}

/// One record of the batch, as Lambda gives it (`eventName`, and the stream's own record in `dynamodb`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StreamRecord {
    pub event_name: String,
    pub dynamodb: StreamChange,
}

/// The stream's record: keys, images in DynamoDB JSON, when it was written, where it is in the shard.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct StreamChange {
    #[serde(default)]
    pub approximate_creation_date_time: Option<f64>,
    pub keys: Value,
    #[serde(default)]
    pub new_image: Option<Value>,
    #[serde(default)]
    pub old_image: Option<Value>,
    pub sequence_number: String,
}

impl StreamChange {
    /// When the change committed, to the second (`now` if the record does not say).
    pub fn committed_at(&self, now: Time) -> Time {
        self.approximate_creation_date_time
            .and_then(|seconds| Time::from_unix_timestamp(seconds as i64).ok())
            .unwrap_or(now)
    }
}

/// The event could not be read as either invocation: the function fails, and Lambda's retries tell.
#[derive(Debug, thiserror::Error)]
#[error("the event is neither a batch of the table's stream nor a retry: {0}")]
pub struct BadInvocation(#[from] serde_json::Error);

impl Invocation {
    pub fn read(payload: Value) -> Result<Invocation, BadInvocation> {
        let retry = payload.get("retry").and_then(Value::as_bool) == Some(true);
        match retry || payload.get("detail-type").is_some() {
            true => Ok(Invocation::Retry),
            false => Ok(Invocation::Stream(serde_json::from_value(payload)?)),
        }
    }
}

/// The partial batch response: the record Lambda gives again, with every one after it; none when all went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchAnswer {
    pub batch_item_failures: Vec<ItemFailure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ItemFailure {
    pub item_identifier: String,
}

impl BatchAnswer {
    pub fn from_record(sequence_number: Option<&str>) -> BatchAnswer {
        let failures = sequence_number.map(|s| ItemFailure { item_identifier: s.to_string() });
        BatchAnswer { batch_item_failures: failures.into_iter().collect() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_scheduled_event_or_retry_is_a_retry_and_a_batch_is_read_as_lambda_gives_it() {
        assert!(matches!(Invocation::read(json!({"retry": true})), Ok(Invocation::Retry)));
        assert!(matches!(Invocation::read(json!({"detail-type": "Scheduled Event"})), Ok(Invocation::Retry)));
        let batch = json!({"Records": [{"eventID": "1", "eventName": "INSERT", "eventSource": "aws:dynamodb",
            "dynamodb": {"ApproximateCreationDateTime": 1_700_000_000.0, "Keys": {"PK": {"S": "a"}, "SK": {"S": "b"}},
                "NewImage": {"PK": {"S": "a"}}, "SequenceNumber": "111", "SizeBytes": 26,
                "StreamViewType": "NEW_AND_OLD_IMAGES"}}]});
        let Ok(Invocation::Stream(batch)) = Invocation::read(batch) else { panic!("a batch") };
        let change = &batch.records[0].dynamodb;
        assert_eq!(
            (change.sequence_number.as_str(), change.committed_at(Time::UNIX_EPOCH).unix_timestamp()),
            ("111", 1_700_000_000)
        );
        assert!(Invocation::read(json!({"Records": "no"})).is_err());
    }

    #[test]
    fn the_answer_names_the_record_to_give_again() {
        assert_eq!(serde_json::to_value(BatchAnswer::from_record(None)).unwrap(), json!({"batchItemFailures": []}));
        assert_eq!(
            serde_json::to_value(BatchAnswer::from_record(Some("7"))).unwrap(),
            json!({"batchItemFailures": [{"itemIdentifier": "7"}]})
        );
    }
}
