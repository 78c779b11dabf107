//! Paged reads of a partition's sort-key range, going on from where the last page stopped: the jobs'
//! listings and a shop's customers, a page at a time whatever their length.

use aws_sdk_dynamodb::types::AttributeValue;
use tally_app::ports::store::{Page, Position, StoreResult};

use crate::errors::failed;
use crate::records::{Item, GSI1PK, GSI1SK, PK, SK};
use crate::{keys, DynamoStore};

/// A sort-key range of one partition, on the table or on `GSI1`.
pub(crate) struct Range<'a> {
    pub index: bool,
    pub pk: String,
    pub low: &'a str,
    pub high: &'a str,
}

impl DynamoStore {
    /// At most `limit` items of `range` after `after`, in sort-key order, and the position of the last one
    /// when more may follow. One query (two when the page after `after` begins with `after` itself).
    pub(crate) async fn page(
        &self,
        range: Range<'_>,
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<(Vec<Item>, Option<Position>)> {
        let (pk_name, sk_name) = if range.index { (GSI1PK, GSI1SK) } else { (PK, SK) };
        let low = match after {
            Some(Position(after)) if after.as_str() > range.low => after.as_str(),
            _ => range.low,
        };
        let limit = limit.max(1);
        let output = self
            .client
            .query()
            .table_name(&self.table)
            .set_index_name(range.index.then(|| keys::GSI1.to_string()))
            .key_condition_expression("#pk = :pk AND #sk BETWEEN :low AND :high")
            .expression_attribute_names("#pk", pk_name.name())
            .expression_attribute_names("#sk", sk_name.name())
            .expression_attribute_values(":pk", AttributeValue::S(range.pk))
            .expression_attribute_values(":low", AttributeValue::S(low.to_string()))
            .expression_attribute_values(":high", AttributeValue::S(range.high.to_string()))
            .consistent_read(!range.index)
            // One more than asked: the first may be `after` itself, which the range includes.
            .limit(i32::try_from(limit + 1).unwrap_or(i32::MAX))
            .send()
            .await
            .map_err(failed)?;
        let stopped = output.last_evaluated_key.is_some();
        let sort_key = |item: &Item| item.get(sk_name.name()).and_then(|v| v.as_s().ok()).cloned();
        let mut items: Vec<Item> = output.items.unwrap_or_default();
        if let Some(Position(after)) = after {
            items.retain(|item| sort_key(item).as_deref() != Some(after.as_str()));
        }
        let more = stopped || items.len() > limit;
        items.truncate(limit);
        let next = if more { items.last().and_then(sort_key).map(Position) } else { None };
        Ok((items, next))
    }
}

impl DynamoStore {
    /// A page of a range read in each of `partitions` in turn: the page of the partition `after` is in (the
    /// first when `None`), and where the next begins, in it or at the start of the next partition.
    pub(crate) async fn sharded_page(
        &self,
        partitions: &[String],
        index: bool,
        (low, high): (&str, &str),
        after: Option<&Position>,
        limit: usize,
    ) -> StoreResult<(Vec<Item>, Option<Position>)> {
        let (at, within) = after.map(Position::partition).unwrap_or((0, ""));
        let Some(pk) = partitions.get(at) else { return Ok((vec![], None)) };
        let within = (!within.is_empty()).then(|| Position(within.to_string()));
        let range = Range { index, pk: pk.clone(), low, high };
        let (items, next) = self.page(range, within.as_ref(), limit).await?;
        let next = match next {
            Some(Position(within)) => Some(Position::in_partition(at, &within)),
            None => (at + 1 < partitions.len()).then(|| Position::in_partition(at + 1, "")),
        };
        Ok((items, next))
    }
}

/// A page of items read into what they hold.
pub(crate) fn read<T>(
    (items, next): (Vec<Item>, Option<Position>),
    each: impl Fn(Item) -> StoreResult<T>,
) -> StoreResult<Page<T>> {
    Ok(Page { items: items.into_iter().map(each).collect::<StoreResult<_>>()?, next })
}
