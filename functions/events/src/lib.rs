//! The `events` function: the table's stream, delivered (its event source mapping in template.yaml gives it
//! batches, and takes back the first record that must come again), and the outbox tried again (its
//! schedule sends `{"retry": true}` every minute).

use lambda_http::{Error, LambdaEvent};
use serde_json::Value;
use std::time::Instant;

use tally_api::jobs::{deadline, metrics};
use tally_api::stream::{BatchAnswer, Invocation, StreamBatch};
use tally_app::events::{deliver, retry_due, Delivered, Record};
use tally_config::Deps;
use tally_outlets::Outlets;
use tally_store::stream::{decode, StreamImage};

/// How many held deliveries one scheduled run tries.
const RETRIES_PER_RUN: usize = 200;

#[tracing::instrument(skip_all)]
pub async fn handler(deps: &Deps, outlets: &Outlets, event: LambdaEvent<Value>) -> Result<Value, Error> {
    let deadline = deadline(&event.context);
    match Invocation::read(event.payload)? {
        Invocation::Stream(batch) => {
            let (answer, poison, delivered) = Box::pin(deliver_batch(deps, outlets, &batch, deadline)).await;
            let figures = [("Events", delivered.events), ("Sent", delivered.sent), ("Held", delivered.held)];
            metrics(
                "Events",
                &[&figures[..], &[("DeadLetters", delivered.dead), ("Unreadable", poison.len())]].concat(),
            );
            for (sequence_number, reason) in poison {
                tracing::error!(%sequence_number, %reason, "events: a record that cannot be read");
            }
            Ok(serde_json::to_value(answer)?)
        }
        Invocation::Retry => {
            let report = Box::pin(retry_due(deps, outlets, deps.now(), RETRIES_PER_RUN, deadline)).await?;
            let figures = [("Sent", report.sent), ("Held", report.held), ("DeadLetters", report.dead)];
            metrics("Events", &[&figures[..], &[("OutboxErrors", report.errors)]].concat());
            Ok(serde_json::to_value(report)?)
        }
    }
}

/// Delivers a batch; answers the first record to give again, and the records that cannot be read with why
/// (each is given again until Lambda's retries end, then goes to the dead-letter destination).
pub async fn deliver_batch(
    deps: &Deps,
    outlets: &Outlets,
    batch: &StreamBatch,
    deadline: Option<Instant>,
) -> (BatchAnswer, Vec<(String, String)>, Delivered) {
    let now = deps.now();
    // The records events come from, and where each is in the batch.
    let (mut places, mut decoded): (Vec<usize>, Vec<Record>) = (Vec::new(), Vec::new());
    let mut poison = Vec::new();
    for (at, record) in batch.records.iter().enumerate() {
        let change = &record.dynamodb;
        let image = StreamImage {
            event_name: &record.event_name,
            keys: &change.keys,
            new_image: change.new_image.as_ref(),
            old_image: change.old_image.as_ref(),
            committed_at: change.committed_at(now),
        };
        match decode(image) {
            Ok(Some(record)) => {
                places.push(at);
                decoded.push(record);
            }
            Ok(None) => {}
            Err(e) => poison.push((at, e.0)),
        }
    }
    let delivered = deliver(deps, outlets, &decoded, deadline).await;
    let failed = delivered.failed_at.map(|i| places[i]);
    let first = [failed, poison.first().map(|(at, _)| *at)].into_iter().flatten().min();
    let sequence = |at: usize| batch.records[at].dynamodb.sequence_number.clone();
    let answer = BatchAnswer::from_record(first.map(sequence).as_deref());
    (answer, poison.into_iter().map(|(at, why)| (sequence(at), why)).collect(), delivered)
}
