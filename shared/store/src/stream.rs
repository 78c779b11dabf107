//! The table's stream, read: a record's images (DynamoDB JSON, as Lambda and DynamoDB Streams give them)
//! become the events use case's `Record`s, by the item's sort key. Items no event comes from (listings,
//! markers, the outbox, …) and deletions are `None`.

use serde::de::DeserializeOwned;
use serde_json::Value;
use tally_app::events::{Change, Record};
use tally_app::ports::StoreError;
use tally_domain::customer::Customer;
use tally_domain::events::Expiring;
use tally_domain::ids::CustomerId;
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::Time;

use crate::keys;
use crate::records::customer::CustomerRecord;
use crate::records::events::NoticeRecord;
use crate::records::ledger::LedgerRecord;
use crate::records::reward::RewardRecord;
use crate::records::{PK, SK};

/// One record of the stream, as its images came.
#[derive(Debug, Clone, Copy)]
pub struct StreamImage<'a> {
    /// `INSERT`, `MODIFY` or `REMOVE`.
    pub event_name: &'a str,
    pub keys: &'a Value,
    pub new_image: Option<&'a Value>,
    pub old_image: Option<&'a Value>,
    pub committed_at: Time,
}

/// The change the record carries, if an event can come from it; an error when its images are not what
/// its key says they are (the record is poison: it goes to the dead-letter destination).
pub fn decode(image: StreamImage<'_>) -> Result<Option<Record>, StoreError> {
    let text = |name: &str| image.keys.get(name).and_then(|v| v.get("S")).and_then(Value::as_str);
    let (Some(pk), Some(sk)) = (text(PK.name()), text(SK.name())) else {
        return Err(StoreError("a stream record without the table's keys".into()));
    };
    let Some((shop, customer_id)) = keys::parse_customer_partition(pk) else { return Ok(None) };
    let new_image = match (image.event_name, image.new_image) {
        ("INSERT" | "MODIFY", Some(new)) => new,
        ("INSERT" | "MODIFY", None) => return Err(StoreError("a write without its new image".into())),
        _ => return Ok(None),
    };
    let change = if sk == keys::PROFILE {
        Change::Profile(Box::new(Customer::try_from(read::<CustomerRecord>(new_image)?)?))
    } else if sk.starts_with(keys::LEDGER_PREFIX) && image.event_name == "INSERT" {
        Change::Ledger(LedgerEntry::try_from(read::<LedgerRecord>(new_image)?)?)
    } else if sk.starts_with(keys::REWARD_PREFIX) {
        let after = Reward::try_from(read::<RewardRecord>(new_image)?)?;
        let before = match image.old_image {
            Some(old) => Some(Reward::try_from(read::<RewardRecord>(old)?)?.status()),
            None => None,
        };
        Change::Reward { before, after: Box::new(after) }
    } else if sk.starts_with(keys::NOTICE_PREFIX) && image.event_name == "INSERT" {
        let notice = read::<NoticeRecord>(new_image)?;
        let notice_customer = CustomerId::new(notice.customer_id);
        if notice_customer != Some(customer_id) {
            return Err(StoreError("a notice in another customer's partition".into()));
        }
        Change::Notice { customer_id, expiring: Expiring { points: notice.points, at: notice.lot_expires_at } }
    } else {
        return Ok(None);
    };
    Ok(Some(Record { shop, committed_at: image.committed_at, change }))
}

fn read<T: DeserializeOwned>(image: &Value) -> Result<T, StoreError> {
    let item: serde_dynamo::Item = serde_json::from_value(image.clone())
        .map_err(|e| StoreError(format!("a stream image that is not DynamoDB JSON: {e}")))?;
    serde_dynamo::from_item(item).map_err(|e| StoreError(format!("a stream image not of its record's shape: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_domain::ledger::LedgerKind;

    /// The sample batch of `events/` (`cargo lambda invoke events --data-file events/events-stream.json`).
    #[test]
    fn the_sample_batch_s_ledger_entry_reads_back_as_its_change() {
        let batch: Value = serde_json::from_str(include_str!("../../../events/events-stream.json")).unwrap();
        let record = &batch["Records"][0];
        let image = StreamImage {
            event_name: record["eventName"].as_str().unwrap(),
            keys: &record["dynamodb"]["Keys"],
            new_image: Some(&record["dynamodb"]["NewImage"]),
            old_image: None,
            committed_at: Time::UNIX_EPOCH,
        };
        let Some(Record { shop, change: Change::Ledger(entry), .. }) = decode(image).unwrap() else {
            panic!("a ledger entry")
        };
        assert_eq!(
            (shop.as_str(), entry.kind, entry.delta, entry.balance_after),
            ("demo.myshopify.com", LedgerKind::Credit, 250, 2750)
        );
        let removed = StreamImage { event_name: "REMOVE", new_image: None, ..image };
        assert_eq!(decode(removed).unwrap(), None, "a deletion is no event");
        let other =
            serde_json::json!({"PK": {"S": "SHOP#demo.myshopify.com#LOTS#01"}, "SK": {"S": "LOTS#2026-12-08#1001"}});
        assert_eq!(decode(StreamImage { keys: &other, ..image }).unwrap(), None, "a listing is no event");
        let broken = serde_json::json!({"PK": {"S": "SHOP#demo.myshopify.com#CUSTOMER#1001"}, "SK": {"S": "LEDGER#000000000003"}, "kind": {"S": "NOPE"}});
        let poison = StreamImage { new_image: Some(&broken), ..image };
        assert!(decode(poison).is_err(), "an entry of no shape is poison");
    }
}
