//! The table's stream, read as Lambda's event source mapping reads it (template.yaml, `EventsFunction`), for
//! the local stack and the tests: DynamoDB Local's stream polled shard by shard, records handed to the
//! `events` function in batches of Lambda's JSON, a partial failure given again from the record it names
//! (with the records after it), a batch that keeps failing split in two until the record at fault is alone,
//! and a record that fails every try set aside as a dead letter with its reason, as the mapping's on-failure
//! destination keeps it. The schedule's run of the outbox is `retry`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aws_sdk_dynamodbstreams::types::{Record, ShardIteratorType};
use lambda_http::Error;
use serde::Serialize;
use serde_json::{json, Value};
use tally_api::stream::{Invocation, StreamBatch};
use tally_app::events::RetryReport;
use tally_config::Deps;
use tally_outlets::Outlets;

/// The mapping's `BatchSize` and `MaximumRetryAttempts` (template.yaml).
pub const BATCH_SIZE: usize = 100;
pub const RETRIES: u32 = 2;
/// The function's `Timeout` (template.yaml).
const FUNCTION_TIMEOUT: Duration = Duration::from_secs(60);

/// A record the events function failed on every try: where it was and why.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadLetter {
    pub sequence_number: String,
    pub keys: Value,
    pub reason: String,
}

/// What a pump came to.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Pumped {
    pub records: usize,
    pub invocations: usize,
}

pub struct StreamRunner {
    deps: Arc<Deps>,
    outlets: Arc<Outlets>,
    dynamodb: aws_sdk_dynamodb::Client,
    streams: aws_sdk_dynamodbstreams::Client,
    table: String,
    /// The last sequence number delivered, by shard.
    checkpoints: Mutex<HashMap<String, String>>,
    pub dead_letters: Mutex<Vec<DeadLetter>>,
}

impl StreamRunner {
    pub fn new(deps: Arc<Deps>, outlets: Arc<Outlets>, endpoint: &str, table: &str) -> Result<StreamRunner, Error> {
        let dynamodb = tally_config::dynamodb_client(Some(endpoint))?;
        let https = tally_config::https()?;
        let config = aws_sdk_dynamodbstreams::Config::builder()
            .behavior_version(aws_sdk_dynamodbstreams::config::BehaviorVersion::latest())
            .endpoint_url(endpoint)
            .region(aws_sdk_dynamodbstreams::config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_dynamodbstreams::config::Credentials::new(
                "local", "local", None, None, "local",
            ))
            .http_client(https)
            .build();
        Ok(StreamRunner {
            deps,
            outlets,
            dynamodb,
            streams: aws_sdk_dynamodbstreams::Client::from_conf(config),
            table: table.to_string(),
            checkpoints: Mutex::new(HashMap::new()),
            dead_letters: Mutex::new(Vec::new()),
        })
    }

    /// Reads every shard to its end, delivering what it holds.
    pub async fn pump(&self) -> Result<Pumped, Error> {
        let table = self.dynamodb.describe_table().table_name(&self.table).send().await?;
        let Some(arn) = table.table().and_then(|t| t.latest_stream_arn()).map(str::to_string) else {
            return Err("the table has no stream".into());
        };
        let mut pumped = Pumped::default();
        let mut start = None;
        loop {
            let described =
                self.streams.describe_stream().stream_arn(&arn).set_exclusive_start_shard_id(start).send().await?;
            let Some(description) = described.stream_description else { break };
            for shard in description.shards() {
                let Some(shard_id) = shard.shard_id() else { continue };
                let read = Box::pin(self.pump_shard(&arn, shard_id)).await?;
                pumped.records += read.records;
                pumped.invocations += read.invocations;
            }
            start = description.last_evaluated_shard_id;
            if start.is_none() {
                break;
            }
        }
        Ok(pumped)
    }

    async fn pump_shard(&self, arn: &str, shard_id: &str) -> Result<Pumped, Error> {
        let checkpoint = self.checkpoints.lock().unwrap_or_else(|e| e.into_inner()).get(shard_id).cloned();
        let iterator = self.streams.get_shard_iterator().stream_arn(arn).shard_id(shard_id);
        let iterator = match &checkpoint {
            Some(sequence) => {
                iterator.shard_iterator_type(ShardIteratorType::AfterSequenceNumber).sequence_number(sequence)
            }
            None => iterator.shard_iterator_type(ShardIteratorType::TrimHorizon),
        };
        let mut next = iterator.send().await?.shard_iterator;
        let mut pumped = Pumped::default();
        while let Some(iterator) = next {
            let page = self.streams.get_records().shard_iterator(iterator).limit(BATCH_SIZE as i32).send().await?;
            let records = page.records.unwrap_or_default();
            if records.is_empty() {
                break;
            }
            pumped.records += records.len();
            pumped.invocations += self.deliver(records.iter().map(lambda_record).collect()).await;
            let last = records.last().and_then(|r| r.dynamodb()).and_then(|d| d.sequence_number());
            if let Some(last) = last {
                self.checkpoints
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .insert(shard_id.to_string(), last.to_string());
            }
            next = page.next_shard_iterator;
        }
        Ok(pumped)
    }

    /// Delivers a batch as the mapping does: tries, partial failures given again, halves, dead letters.
    /// Returns how many invocations it took.
    async fn deliver(&self, batch: Vec<Value>) -> usize {
        let mut invocations = 0;
        let mut pending: Vec<Vec<Value>> = vec![batch];
        while let Some(records) = pending.pop() {
            let mut records = records;
            let mut tries = 0;
            loop {
                invocations += 1;
                let (failed_at, poison) = self.invoke(&records).await;
                let Some(at) = failed_at else { break };
                records.drain(..at);
                tries += 1;
                if tries <= RETRIES {
                    continue;
                }
                if records.len() > 1 {
                    // Bisect on error: each half on its own, the first half first.
                    let second = records.split_off(records.len() / 2);
                    pending.push(second);
                    pending.push(records);
                } else if let Some(record) = records.first() {
                    let sequence_number = record["dynamodb"]["SequenceNumber"].as_str().unwrap_or_default().to_string();
                    let reason = poison.into_iter().find(|(s, _)| *s == sequence_number).map(|(_, why)| why);
                    let letter = DeadLetter {
                        sequence_number,
                        keys: record["dynamodb"]["Keys"].clone(),
                        reason: reason.unwrap_or_else(|| "its deliveries failed on every try".into()),
                    };
                    tracing::error!(?letter, "events: a record set aside after every try");
                    self.dead_letters.lock().unwrap_or_else(|e| e.into_inner()).push(letter);
                }
                break;
            }
        }
        invocations
    }

    /// One invocation of the events function: where its answer says to start again, and what it could not read.
    async fn invoke(&self, records: &[Value]) -> (Option<usize>, Vec<(String, String)>) {
        let event = json!({"Records": records});
        let batch: StreamBatch = match Invocation::read(event) {
            Ok(Invocation::Stream(batch)) => batch,
            _ => return (Some(0), vec![]),
        };
        // Lambda's deadline: the function's timeout in template.yaml from now.
        let deadline = std::time::Instant::now() + FUNCTION_TIMEOUT;
        let (answer, poison, _) = events::deliver_batch(&self.deps, &self.outlets, &batch, Some(deadline)).await;
        let failed = answer.batch_item_failures.first().map(|f| f.item_identifier.clone());
        let at = failed.and_then(|s| records.iter().position(|r| r["dynamodb"]["SequenceNumber"] == s.as_str()));
        (at, poison)
    }

    /// The schedule's run: the outbox tried again, what is due by `now`.
    pub async fn retry(&self, now: tally_domain::Time) -> Result<RetryReport, Error> {
        let deadline = std::time::Instant::now() + FUNCTION_TIMEOUT;
        Ok(tally_app::events::retry_due(&self.deps, &self.outlets, now, 200, Some(deadline)).await?)
    }

    /// Every record the stream holds now, as Lambda would give them, delivered or not (to give them again).
    pub async fn records(&self) -> Result<Vec<Value>, Error> {
        let table = self.dynamodb.describe_table().table_name(&self.table).send().await?;
        let arn = table.table().and_then(|t| t.latest_stream_arn()).ok_or("the table has no stream")?.to_string();
        let description = self.streams.describe_stream().stream_arn(&arn).send().await?.stream_description;
        let mut all = Vec::new();
        for shard in description.iter().flat_map(|d| d.shards()) {
            let Some(shard_id) = shard.shard_id() else { continue };
            let iterator = self.streams.get_shard_iterator().stream_arn(&arn).shard_id(shard_id);
            let mut next = iterator.shard_iterator_type(ShardIteratorType::TrimHorizon).send().await?.shard_iterator;
            while let Some(iterator) = next {
                let page = self.streams.get_records().shard_iterator(iterator).send().await?;
                let records = page.records.unwrap_or_default();
                if records.is_empty() {
                    break;
                }
                all.extend(records.iter().map(lambda_record));
                next = page.next_shard_iterator;
            }
        }
        Ok(all)
    }

    /// Hands `records` to the events function as one batch, as the mapping would; the records it answers
    /// to give again.
    pub async fn deliver_records(&self, records: Vec<Value>) -> (Option<usize>, Vec<(String, String)>) {
        self.invoke(&records).await
    }

    /// Polls the stream every `every`, and tries the outbox every `retry_every`, until the process ends.
    pub async fn run(self: Arc<Self>, every: Duration, retry_every: Duration) {
        let mut since_retry = Duration::ZERO;
        loop {
            if let Err(e) = self.pump().await {
                tracing::warn!(error = %e, "events: the stream could not be read");
            }
            since_retry += every;
            if since_retry >= retry_every {
                since_retry = Duration::ZERO;
                if let Err(e) = self.retry(self.deps.now()).await {
                    tracing::warn!(error = %e, "events: the outbox could not be tried");
                }
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// A record of DynamoDB Streams as Lambda gives it to a function.
fn lambda_record(record: &Record) -> Value {
    let change = record.dynamodb();
    let image = |map: Option<&HashMap<String, aws_sdk_dynamodbstreams::types::AttributeValue>>| {
        map.map(|m| {
            let item: HashMap<String, serde_dynamo::AttributeValue> =
                m.iter().map(|(k, v)| (k.clone(), v.clone().into())).collect();
            serde_json::to_value(serde_dynamo::Item::from(item)).unwrap_or(Value::Null)
        })
    };
    json!({
        "eventID": record.event_id(),
        "eventName": record.event_name().map(|n| n.as_str()),
        "eventSource": "aws:dynamodb",
        "awsRegion": "us-east-1",
        "dynamodb": {
            "ApproximateCreationDateTime": change.and_then(|c| c.approximate_creation_date_time()).map(|t| t.secs() as f64),
            "Keys": image(change.and_then(|c| c.keys.as_ref())),
            "NewImage": image(change.and_then(|c| c.new_image.as_ref())),
            "OldImage": image(change.and_then(|c| c.old_image.as_ref())),
            "SequenceNumber": change.and_then(|c| c.sequence_number()),
            "SizeBytes": change.and_then(|c| c.size_bytes()),
            "StreamViewType": "NEW_AND_OLD_IMAGES",
        },
    })
}
