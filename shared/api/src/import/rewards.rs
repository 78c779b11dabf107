//! An unused reward as an import reads it: Appstle's reward object (a customer-loyalty object's
//! `rewards` item, as Tally answers it too) with the customer's `customerId` beside it, one per line, or a
//! CSV row with the same names as its header.

use serde::Deserialize;
use serde_json::Value;

use tally_domain::ids::{CustomerId, RuleId};
use tally_domain::reward::{RewardImport, RuleNamed};
use tally_domain::rule::{RewardType, RuleAlias};
use tally_domain::Time;

use super::{read, time, whole, Id, RecordRefused};
use crate::money::Amount;

/// The columns of a rewards CSV.
pub const REWARD_COLUMNS: [&str; 10] = [
    "customerId",
    "discountCode",
    "pointRedeemRuleId",
    "discountType",
    "discountValue",
    "pointsRedeemed",
    "status",
    "createAt",
    "expireDate",
    "description",
];

/// Appstle's reward object, the fields an import reads (the others, such as `discountCodeId`, `amount` or
/// `usedAt`, are passed over: Shopify is asked for the code itself).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RewardObject {
    customer_id: Option<Id>,
    discount_code: Option<String>,
    #[serde(alias = "redeemRuleId")]
    point_redeem_rule_id: Option<Id>,
    discount_type: Option<String>,
    #[serde(default)]
    discount_value: Option<Amount>,
    #[serde(default)]
    points_redeemed: Option<Amount>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    create_at: Option<String>,
    #[serde(default)]
    expire_date: Option<String>,
    /// The same, under the name Appstle's examples also use (an object may carry both).
    #[serde(default)]
    expiry_date: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

/// Why a reward record is not imported, beyond the shapes every record shares.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RewardRecordRefused {
    #[error("{0} is required")]
    Missing(&'static str),
    #[error("status {0}: only UNUSED rewards are imported (the others are history)")]
    NotUnused(String),
    #[error("discountType {0:?} is not one Tally knows (FIXED, PERCENTAGE, FREE_SHIPPING, FREE_PRODUCT)")]
    DiscountType(String),
    #[error("{0} must be a whole number (or, for a rule, another program's id)")]
    Id(&'static str),
}

/// An unused reward from Appstle's reward object or a CSV row of the same names. A reward without a time
/// of its own is taken as made `now`.
pub fn reward(object: &Value, now: Time) -> Result<RewardImport, RecordRefused> {
    let r: RewardObject = read(object)?;
    let missing = |field| RecordRefused::Reward(RewardRecordRefused::Missing(field));
    if let Some(status) = r.status.as_deref().map(str::trim).filter(|s| !s.eq_ignore_ascii_case("UNUSED")) {
        return Err(RewardRecordRefused::NotUnused(status.to_string()).into());
    }
    let customer_id = id(r.customer_id.ok_or(missing("customerId"))?, "customerId")
        .and_then(|id| CustomerId::new(id).ok_or(RewardRecordRefused::Id("customerId").into()))?;
    let rule = match r.point_redeem_rule_id.ok_or(missing("pointRedeemRuleId"))? {
        Id::Number(id) => RuleId::new(id).map(RuleNamed::Id).ok_or(RewardRecordRefused::Id("pointRedeemRuleId"))?,
        Id::Text(text) => match text.trim().parse::<u64>() {
            Ok(id) => RuleId::new(id).map(RuleNamed::Id).ok_or(RewardRecordRefused::Id("pointRedeemRuleId"))?,
            Err(_) => RuleNamed::Alias(RuleAlias::parse(&text)?),
        },
    };
    let discount_type = r.discount_type.ok_or(missing("discountType"))?;
    let points = r.points_redeemed.ok_or(missing("pointsRedeemed"))?;
    Ok(RewardImport {
        customer_id,
        rule,
        code: r.discount_code.filter(|c| !c.trim().is_empty()).ok_or(missing("discountCode"))?,
        discount_type: discount_kind(&discount_type)?,
        discount_value: r.discount_value.map(|a| a.0),
        points_redeemed: whole(Some(points))?,
        created_at: time("createAt", r.create_at)?.unwrap_or(now),
        expires_at: time("expireDate", r.expire_date.or(r.expiry_date))?,
        description: r.description.map(|d| d.trim().to_string()).filter(|d| !d.is_empty()),
    })
}

/// A rewards CSV's row as a reward object (its cells' text reads as the numbers they are); a column not of
/// `REWARD_COLUMNS` is refused.
pub fn csv_reward(row: Value) -> Result<Value, RecordRefused> {
    let unknown = row.as_object().into_iter().flat_map(|o| o.keys()).find(|k| !REWARD_COLUMNS.contains(&k.as_str()));
    match unknown {
        Some(column) => Err(RecordRefused::UnknownColumn(column.clone())),
        None => Ok(row),
    }
}

fn id(given: Id, field: &'static str) -> Result<u64, RecordRefused> {
    match given {
        Id::Number(id) => Ok(id),
        Id::Text(text) => text.trim().parse().map_err(|_| RewardRecordRefused::Id(field).into()),
    }
}

/// Appstle's discount type on a reward (`FIXED`), or Tally's rule type.
fn discount_kind(given: &str) -> Result<RewardType, RecordRefused> {
    match given.trim() {
        "FIXED" | "FIXED_AMOUNT" => Ok(RewardType::FixedAmount),
        "PERCENTAGE" => Ok(RewardType::Percentage),
        "FREE_SHIPPING" => Ok(RewardType::FreeShipping),
        "FREE_PRODUCT" => Ok(RewardType::FreeProduct),
        "STORE_CREDIT" => Ok(RewardType::StoreCredit),
        other => Err(RewardRecordRefused::DiscountType(other.to_string()).into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn now() -> Time {
        Time::from_unix_timestamp(1_796_558_400).unwrap()
    }

    #[test]
    fn appstle_s_reward_object_is_read_with_its_names_and_words() {
        let object = json!({"id": 12346, "customerId": 5, "discountCode": "LOYALTY15OFF", "discountType": "PERCENTAGE",
            "discountValue": 15, "status": "UNUSED", "expiryDate": "2027-06-30T23:59:59Z", "pointsRedeemed": 100,
            "createAt": "2025-01-29T10:30:00Z", "pointRedeemRuleId": 7, "usedAt": null});
        let read = reward(&object, now()).unwrap();
        assert_eq!((read.customer_id.get(), read.code.as_str()), (5, "LOYALTY15OFF"));
        assert_eq!(read.rule, RuleNamed::Id(RuleId::new(7).unwrap()));
        assert_eq!((read.discount_type, read.points_redeemed), (RewardType::Percentage, 100));
        assert_eq!(read.expires_at.map(|t| t.year()), Some(2027));
        assert_eq!(read.created_at.year(), 2025);
        for (change, says) in [
            (json!({"status": "USED"}), "only UNUSED"),
            (json!({"discountType": "GIFT"}), "GIFT"),
            (json!({"pointsRedeemed": 1.5}), "fractional"),
            (json!({"discountCode": " "}), "discountCode is required"),
            (json!({"customerId": "x9"}), "customerId must be"),
            (json!({"pointsRedeemed": null}), "pointsRedeemed is required"),
            (json!({"expireDate": "soon"}), "RFC 3339"),
        ] {
            let mut bad = object.clone();
            bad.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
            if change.get("expireDate").is_some() {
                bad.as_object_mut().unwrap().remove("expiryDate");
            }
            let refused = reward(&bad, now()).unwrap_err().to_string();
            assert!(refused.contains(says), "{change}: {refused}");
        }
    }

    #[test]
    fn a_rewards_csv_row_reads_as_the_same_object() {
        let row = json!({"customerId": "5", "discountCode": "ABC", "pointRedeemRuleId": "7", "discountType": "FIXED",
            "discountValue": "5.00", "pointsRedeemed": "500"});
        let read = reward(&csv_reward(row.clone()).unwrap(), now()).unwrap();
        assert_eq!((read.discount_value.map(|v| v.to_string()), read.points_redeemed), (Some("5.00".into()), 500));
        assert_eq!(read.created_at, now(), "no time of its own: made now");
        let mut mage = row;
        mage["pointRedeemRuleId"] = json!("reward_abc");
        let read = reward(&csv_reward(mage).unwrap(), now()).unwrap();
        assert_eq!(read.rule, RuleNamed::Alias(RuleAlias::parse("reward_abc").unwrap()), "Mage's id, for its alias");
        let unknown = csv_reward(json!({"customerId": "5", "colour": "red"})).unwrap_err();
        assert!(unknown.to_string().contains("colour"));
    }
}
