//! Capacity of the real code: an SDK interceptor that asks DynamoDB for `ReturnConsumedCapacity: INDEXES` on
//! every call the store makes and adds up what comes back, per operation. DynamoDB Local's figure for a
//! transaction does not follow DynamoDB's published rules (one 300-byte put is 4 units, two are 4 too), so
//! transactions are counted from their requests by those rules instead: two write units per KB of each item,
//! plus one per KB for each index entry written.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::config::interceptors::{
    AfterDeserializationInterceptorContextRef, BeforeSerializationInterceptorContextMut,
};
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::operation::{
    batch_get_item::{BatchGetItemInput, BatchGetItemOutput},
    delete_item::{DeleteItemInput, DeleteItemOutput},
    get_item::{GetItemInput, GetItemOutput},
    put_item::{PutItemInput, PutItemOutput},
    query::{QueryInput, QueryOutput},
    transact_write_items::TransactWriteItemsInput,
    update_item::{UpdateItemInput, UpdateItemOutput},
};
use aws_sdk_dynamodb::types::{AttributeValue, ConsumedCapacity, ReturnConsumedCapacity, TransactWriteItem};
use tally_store::records::{GSI1PK, GSI1SK};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Calls and capacity units of one DynamoDB operation.
#[derive(Clone, Copy, Debug, Default)]
pub struct Usage {
    pub calls: f64,
    pub reads: f64,
    pub writes: f64,
    /// The part of `writes` that went to keeping indexes up to date.
    pub index_writes: f64,
}

/// What the metered client consumed, by operation name, and how its calls followed each other.
#[derive(Clone, Debug, Default)]
pub struct Meter(Arc<Mutex<BTreeMap<&'static str, Usage>>>, Arc<Flight>);

/// The calls in flight: a round trip begins whenever a call starts with none in flight, so that calls made
/// at the same time count as one (the client's count of sequential round trips).
#[derive(Debug, Default)]
struct Flight {
    in_flight: AtomicUsize,
    calls: AtomicU64,
    round_trips: AtomicU64,
}

impl Meter {
    pub fn take(&self) -> BTreeMap<&'static str, Usage> {
        std::mem::take(&mut *self.0.lock().expect("the meter's lock"))
    }

    /// The calls made and the sequential round trips they took since the last time, and starts again.
    pub fn take_trips(&self) -> (u64, u64) {
        (self.1.calls.swap(0, Ordering::SeqCst), self.1.round_trips.swap(0, Ordering::SeqCst))
    }

    /// Adds a call's capacity; where DynamoDB gives only a total, it is reads for a read and writes for a write.
    fn add(&self, operation: &'static str, capacity: &[ConsumedCapacity]) {
        let reading = matches!(operation, "GetItem" | "BatchGetItem" | "Query");
        let mut usage = self.0.lock().expect("the meter's lock");
        let entry = usage.entry(operation).or_default();
        entry.calls += 1.0;
        for c in capacity {
            let total = c.capacity_units.unwrap_or(0.0);
            let indexes = c.global_secondary_indexes.iter().flat_map(|indexes| indexes.values());
            entry.index_writes +=
                indexes.filter_map(|index| index.write_capacity_units.or(index.capacity_units)).sum::<f64>();
            match (c.read_capacity_units, c.write_capacity_units) {
                (None, None) if reading => entry.reads += total,
                (None, None) => entry.writes += total,
                (reads, writes) => {
                    entry.reads += reads.unwrap_or(0.0);
                    entry.writes += writes.unwrap_or(0.0);
                }
            }
        }
    }

    fn add_transaction(&self, items: &[TransactWriteItem]) {
        let (writes, index_writes) = transaction_units(items);
        let mut usage = self.0.lock().expect("the meter's lock");
        let entry = usage.entry("TransactWriteItems").or_default();
        entry.calls += 1.0;
        entry.writes += writes + index_writes;
        entry.index_writes += index_writes;
    }

    /// A DynamoDB client like `client` whose every call is metered.
    pub fn client(&self, client: &aws_sdk_dynamodb::Client) -> aws_sdk_dynamodb::Client {
        let config = client.config().to_builder().interceptor(self.clone()).build();
        aws_sdk_dynamodb::Client::from_conf(config)
    }
}

/// Applies `$then` to the input or output of whichever of the store's operations this is.
macro_rules! each_operation {
    ($value:expr, $method:ident, |$name:ident, $typed:ident| $then:expr, [$(($op:literal, $ty:ty)),*]) => {
        $(if let Some($typed) = $value.$method::<$ty>() { let $name = $op; $then; })*
    };
}

impl Intercept for Meter {
    fn name(&self) -> &'static str {
        "CapacityMeter"
    }

    fn read_before_execution(
        &self,
        _: &aws_sdk_dynamodb::config::interceptors::BeforeSerializationInterceptorContextRef<'_>,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.1.calls.fetch_add(1, Ordering::SeqCst);
        if self.1.in_flight.fetch_add(1, Ordering::SeqCst) == 0 {
            self.1.round_trips.fetch_add(1, Ordering::SeqCst);
        }
        Ok(())
    }

    fn read_after_execution(
        &self,
        _: &aws_sdk_dynamodb::config::interceptors::FinalizerInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        self.1.in_flight.fetch_sub(1, Ordering::SeqCst);
        Ok(())
    }

    fn modify_before_serialization(
        &self,
        context: &mut BeforeSerializationInterceptorContextMut<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let input = context.input_mut();
        if let Some(transaction) = input.downcast_ref::<TransactWriteItemsInput>() {
            self.add_transaction(transaction.transact_items.as_deref().unwrap_or_default());
        }
        each_operation!(
            input,
            downcast_mut,
            |_name, typed| { typed.return_consumed_capacity = Some(ReturnConsumedCapacity::Indexes) },
            [
                ("GetItem", GetItemInput),
                ("BatchGetItem", BatchGetItemInput),
                ("Query", QueryInput),
                ("PutItem", PutItemInput),
                ("UpdateItem", UpdateItemInput),
                ("DeleteItem", DeleteItemInput)
            ]
        );
        Ok(())
    }

    fn read_after_deserialization(
        &self,
        context: &AfterDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Ok(output) = context.output_or_error() else { return Ok(()) };
        if let Some(batch) = output.downcast_ref::<BatchGetItemOutput>() {
            self.add("BatchGetItem", batch.consumed_capacity.as_deref().unwrap_or_default());
        }
        each_operation!(
            output,
            downcast_ref,
            |name, typed| { self.add(name, typed.consumed_capacity.as_slice()) },
            [
                ("GetItem", GetItemOutput),
                ("Query", QueryOutput),
                ("PutItem", PutItemOutput),
                ("UpdateItem", UpdateItemOutput),
                ("DeleteItem", DeleteItemOutput)
            ]
        );
        Ok(())
    }
}

/// A transaction's write units by DynamoDB's rules: each item twice, rounded up to the KB, and each index
/// entry once. An update is taken as one KB at most (the store's updates in transactions are of idempotency
/// records and rewards) and, when it sets or removes an index key, as moving an entry (two writes).
fn transaction_units(items: &[TransactWriteItem]) -> (f64, f64) {
    let (mut writes, mut index_writes) = (0.0, 0.0);
    for item in items {
        if let Some(put) = &item.put {
            let kb = kilobytes(&put.item);
            writes += 2.0 * kb;
            if put.item.contains_key(GSI1PK.name()) {
                index_writes += kb;
            }
        } else if let Some(update) = &item.update {
            writes += 2.0;
            let names = update.expression_attribute_names.iter().flat_map(|names| names.values());
            if names.into_iter().any(|name| name == GSI1PK.name() || name == GSI1SK.name()) {
                index_writes += 2.0;
            }
        } else if item.delete.is_some() || item.condition_check.is_some() {
            writes += 2.0;
        }
    }
    (writes, index_writes)
}

/// An item's size in whole KB, rounded up, as DynamoDB counts it: names and values.
fn kilobytes(item: &std::collections::HashMap<String, AttributeValue>) -> f64 {
    item_bytes(item).div_ceil(1024).max(1) as f64
}

/// An item's size in bytes, as DynamoDB counts it: names and values.
pub fn item_bytes(item: &std::collections::HashMap<String, AttributeValue>) -> usize {
    item.iter().map(|(name, value)| name.len() + value_size(value)).sum()
}

fn value_size(value: &AttributeValue) -> usize {
    match value {
        AttributeValue::S(s) => s.len(),
        // Numbers: about one byte per two significant digits, plus one.
        AttributeValue::N(n) => n.trim_start_matches(['-', '0']).len().div_ceil(2) + 1,
        AttributeValue::B(b) => b.as_ref().len(),
        AttributeValue::Ss(set) => set.iter().map(String::len).sum(),
        AttributeValue::Ns(set) => set.iter().map(|n| n.len().div_ceil(2) + 1).sum(),
        AttributeValue::L(list) => 3 + list.iter().map(|v| 1 + value_size(v)).sum::<usize>(),
        AttributeValue::M(map) => 3 + map.iter().map(|(k, v)| 1 + k.len() + value_size(v)).sum::<usize>(),
        _ => 1,
    }
}
