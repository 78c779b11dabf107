//! An import's records, as `tally-cli import` reads them: Appstle's rule objects and customer-loyalty objects
//! (one JSON object per line, the customer's identifiers beside Appstle's fields), or rows of a CSV read as
//! objects of their header's names. Each becomes what `tally_app::import` takes, or the reason it cannot.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use tally_app::import::{ImportedCustomer, ImportedLot, ImportedRule};
use tally_domain::customer::{CustomerStatus, Enrollment, EnrollmentError};
use tally_domain::ids::RuleId;
use tally_domain::points::MAX_SAFE_INTEGER;
use tally_domain::rule::{NotAnAlias, RuleAlias, RuleError};
use tally_domain::Time;

mod rewards;

pub use rewards::{csv_reward, reward, RewardRecordRefused, REWARD_COLUMNS};

use crate::money::Amount;
use crate::request::Invalid;
use crate::rule_body::RuleBody;

/// Why a record is not imported.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordRefused {
    #[error("{0}")]
    Shape(String),
    #[error("a rule to import needs its id")]
    RuleWithoutId,
    #[error("{0}")]
    Alias(#[from] NotAnAlias),
    #[error("{0}")]
    Rule(#[from] Invalid),
    #[error("{0}")]
    Terms(#[from] RuleError),
    #[error("{0}")]
    Customer(#[from] EnrollmentError),
    #[error("a fractional balance ({0}): Tally's points are whole")]
    FractionalBalance(Decimal),
    #[error("a negative balance ({0})")]
    NegativeBalance(Decimal),
    #[error("a balance past {MAX_SAFE_INTEGER}")]
    BalanceTooLarge,
    #[error("{field} {value:?} is not an RFC 3339 time")]
    Time { field: &'static str, value: String },
    #[error("{0} is required (0 for none)")]
    BalanceMissing(&'static str),
    #[error("expiringPointsAmount needs pointsExpireAt, the time they expire")]
    ExpiryMissing,
    #[error("the CSV has a column Tally does not read: {0}")]
    UnknownColumn(String),
    #[error("{0}")]
    Reward(#[from] RewardRecordRefused),
}

/// The columns of a customers CSV.
pub const CUSTOMER_COLUMNS: [&str; 8] =
    ["customerId", "email", "phone", "externalId", "vipTier", "status", "points", "expiresAt"];

/// A rules CSV's row as a rule object: a cell that reads as a number is one, `true` and `false` are
/// booleans, `variantIds` lists its numbers (separated by spaces or `;`); the rest is text.
pub fn csv_rule(row: Value) -> Value {
    let Value::Object(cells) = row else { return row };
    let typed = cells.into_iter().map(|(name, cell)| {
        let text = cell.as_str().unwrap_or_default().trim().to_string();
        let value = match (name.as_str(), text.as_str()) {
            ("name" | "status" | "rewardType" | "type" | "discountType" | "vipTier", _) => cell,
            ("variantIds", list) => Value::Array(
                list.split([' ', ';'])
                    .filter(|id| !id.is_empty())
                    .map(|id| id.parse::<u64>().map_or_else(|_| Value::String(id.into()), Value::from))
                    .collect(),
            ),
            (_, "true") => Value::Bool(true),
            (_, "false") => Value::Bool(false),
            (_, number) => serde_json::from_str::<serde_json::Number>(number).map_or(cell, Value::Number),
        };
        (name, value)
    });
    Value::Object(typed.collect())
}

/// A rule object, Appstle's or Tally's, under the id it had: a number is kept as the rule's id; text
/// (Mage's `reward_abc`) becomes the alias of the id the import gives it.
pub fn rule(mut object: Value) -> Result<ImportedRule, RecordRefused> {
    let (id, alias) = match object.as_object_mut().and_then(|o| o.remove("id")) {
        Some(Value::Number(n)) => (n.as_u64().and_then(RuleId::new).ok_or(RecordRefused::RuleWithoutId)?, None),
        Some(Value::String(text)) => match text.trim().parse::<u64>() {
            Ok(n) => (RuleId::new(n).ok_or(RecordRefused::RuleWithoutId)?, None),
            Err(_) => (RuleId::FIRST, Some(RuleAlias::parse(&text)?)),
        },
        _ => return Err(RecordRefused::RuleWithoutId),
    };
    let body: RuleBody = serde_json::from_value(object).map_err(|e| RecordRefused::Shape(e.to_string()))?;
    Ok(ImportedRule { rule: body.rule_for(id)?.into_rule(id)?, alias })
}

/// A customer's identifiers, as an export writes them beside Appstle's loyalty information or as a CSV's
/// columns name them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identifiers {
    customer_id: Id,
    #[serde(default, alias = "customerEmail")]
    email: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default, alias = "currentVipTier")]
    vip_tier: Option<String>,
    #[serde(default, alias = "customerStatus")]
    status: Option<CustomerStatus>,
}

/// A customer id as JSON writes it or as a CSV's text.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Id {
    Number(u64),
    Text(String),
}

/// Appstle's customer-loyalty object's balance: what is available, and how much of it expires when.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AppstleBalance {
    #[serde(default)]
    available_points: Option<Amount>,
    #[serde(default)]
    expiring_points_amount: Option<Amount>,
    #[serde(default)]
    points_expire_at: Option<String>,
}

/// A CSV row's lot: `points`, and `expiresAt` when they expire.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct CsvLot {
    #[serde(default)]
    points: Option<Amount>,
    #[serde(default)]
    expires_at: Option<String>,
}

/// Appstle's customer-loyalty object with the customer's identifiers. Points that expired by `now` are not
/// carried over (they are gone in Appstle as well); pending points, rewards and history are not read.
pub fn appstle_customer(object: &Value, now: Time) -> Result<ImportedCustomer, RecordRefused> {
    let balance: AppstleBalance = read(object)?;
    let available = whole(Some(balance.available_points.ok_or(RecordRefused::BalanceMissing("availablePoints"))?))?;
    let expiring = whole(balance.expiring_points_amount)?.min(available);
    let expires_at = time("pointsExpireAt", balance.points_expire_at)?;
    if expiring > 0 && expires_at.is_none() {
        return Err(RecordRefused::ExpiryMissing);
    }
    let lots = match expires_at {
        Some(at) if expiring > 0 => {
            let kept = if at > now { expiring } else { 0 };
            vec![
                ImportedLot { points: available - expiring, expires_at: None },
                ImportedLot { points: kept, expires_at: Some(at) },
            ]
        }
        _ => vec![ImportedLot { points: available, expires_at: None }],
    };
    customer(object, lots)
}

/// A customer's CSV rows (one per lot, the first naming the customer): `customerId`, `email`, `phone`,
/// `externalId`, `vipTier`, `status`, `points`, `expiresAt`.
pub fn csv_customer(rows: &[Value], now: Time) -> Result<ImportedCustomer, RecordRefused> {
    let mut lots = vec![];
    for row in rows {
        let unknown =
            row.as_object().into_iter().flat_map(|o| o.keys()).find(|k| !CUSTOMER_COLUMNS.contains(&k.as_str()));
        if let Some(column) = unknown {
            return Err(RecordRefused::UnknownColumn(column.clone()));
        }
        let lot: CsvLot = read(row)?;
        if lot.points.is_none() {
            return Err(RecordRefused::BalanceMissing("points"));
        }
        let expires_at = time("expiresAt", lot.expires_at)?;
        let points = whole(lot.points)?;
        lots.push(ImportedLot { points: if expires_at.is_some_and(|at| at <= now) { 0 } else { points }, expires_at });
    }
    customer(rows.first().unwrap_or(&Value::Null), lots)
}

fn customer(object: &Value, mut lots: Vec<ImportedLot>) -> Result<ImportedCustomer, RecordRefused> {
    let ids: Identifiers = read(object)?;
    lots.retain(|lot| lot.points > 0);
    if lots.iter().try_fold(0i64, |sum, lot| sum.checked_add(lot.points)).is_none_or(|sum| sum > MAX_SAFE_INTEGER) {
        return Err(RecordRefused::BalanceTooLarge);
    }
    let text = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let email = text(&ids.email).unwrap_or_default();
    let (phone, external_id, tier) = (text(&ids.phone), text(&ids.external_id), text(&ids.vip_tier));
    let customer_id = match ids.customer_id {
        Id::Number(id) => id,
        Id::Text(text) => text.trim().parse().map_err(|_| EnrollmentError::CustomerId)?,
    };
    let enrollment = Enrollment::new(customer_id, &email, phone.as_deref(), external_id.as_deref(), tier.as_deref())?;
    Ok(ImportedCustomer { enrollment, status: ids.status.unwrap_or(CustomerStatus::Active), lots })
}

fn read<T: for<'de> Deserialize<'de>>(object: &Value) -> Result<T, RecordRefused> {
    T::deserialize(object).map_err(|e| RecordRefused::Shape(e.to_string()))
}

/// Points as a whole number, none when absent.
fn whole(points: Option<Amount>) -> Result<i64, RecordRefused> {
    let points = points.map_or(Decimal::ZERO, |a| a.0);
    if points.is_sign_negative() && !points.is_zero() {
        return Err(RecordRefused::NegativeBalance(points));
    }
    if !points.fract().is_zero() {
        return Err(RecordRefused::FractionalBalance(points));
    }
    i64::try_from(points).ok().filter(|p| *p <= MAX_SAFE_INTEGER).ok_or(RecordRefused::BalanceTooLarge)
}

fn time(field: &'static str, value: Option<String>) -> Result<Option<Time>, RecordRefused> {
    match value.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => {
            Time::parse(text, &Rfc3339).map(Some).map_err(|_| RecordRefused::Time { field, value: text.into() })
        }
    }
}

/// A CSV's rows as JSON objects of its header's names, each cell its text (an empty cell: no field). Quoted
/// cells may hold commas, quotes (doubled) and line breaks.
pub fn csv_objects(text: &str) -> Result<Vec<Value>, RecordRefused> {
    let mut rows = csv_rows(text)?.into_iter();
    let header = rows.next().unwrap_or_default();
    let mut names = std::collections::HashSet::new();
    if let Some(twice) = header.iter().map(|name| name.trim()).find(|name| !names.insert(*name)) {
        return Err(RecordRefused::Shape(format!("the CSV's header names {twice} twice")));
    }
    Ok(rows
        .filter(|row| row.iter().any(|cell| !cell.is_empty()))
        .map(|row| {
            let cells = header.iter().zip(row).filter(|(_, cell)| !cell.is_empty());
            let object: Map<String, Value> =
                cells.map(|(name, cell)| (name.trim().to_string(), Value::String(cell))).collect();
            Value::Object(object)
        })
        .collect())
}

fn csv_rows(text: &str) -> Result<Vec<Vec<String>>, RecordRefused> {
    let (mut rows, mut row, mut cell) = (vec![], vec![], String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                cell.push('"');
                chars.next();
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') if cell.is_empty() => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    if quoted {
        return Err(RecordRefused::Shape("the CSV ends inside a quoted cell".into()));
    }
    if !cell.is_empty() || !row.is_empty() {
        row.push(cell);
        rows.push(row);
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    fn at(unix: i64) -> Time {
        Time::from_unix_timestamp(unix).unwrap()
    }
    /// 2026-12-06 12:00 UTC.
    const NOW: i64 = 1_796_558_400;
    /// 2027-01-01 00:00 UTC.
    const NEW_YEAR_2027: i64 = 1_798_761_600;

    #[test]
    fn a_csv_is_read_cell_by_cell_with_quotes_commas_and_line_breaks() {
        let rows = csv_objects("id,name,note\r\n1,\"Five, off\",\"say \"\"hi\"\"\nthere\"\n\n2,,x").unwrap();
        assert_eq!(
            rows,
            vec![json!({"id": "1", "name": "Five, off", "note": "say \"hi\"\nthere"}), json!({"id": "2", "note": "x"})]
        );
        assert!(csv_objects("a\n\"open").unwrap_err().to_string().contains("inside a quoted cell"));
        assert!(csv_objects("id,pointsCost,pointsCost\n1,5,6").unwrap_err().to_string().contains("pointsCost twice"));
        let rule = csv_rule(json!({"id": "7", "name": "10", "pointsCost": "500", "variantIds": "41;42", "x": "true"}));
        assert_eq!(rule, json!({"id": 7, "name": "10", "pointsCost": 500, "variantIds": [41, 42], "x": true}));
    }

    #[test]
    fn appstle_s_balance_becomes_lots_and_what_cannot_be_carried_is_refused() {
        let customer = |extra: Value| {
            let mut object = json!({"customerId": 5, "email": "a@b.co", "customerStatus": "EXCLUDED",
                "currentVipTier": "", "pendingPoints": 3, "rewards": []});
            object.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
            appstle_customer(&object, at(NOW))
        };
        let two = customer(json!({"availablePoints": 150.0, "expiringPointsAmount": 50,
            "pointsExpireAt": "2027-01-01T00:00:00Z"}))
        .unwrap();
        assert_eq!(
            two.lots,
            vec![
                ImportedLot { points: 100, expires_at: None },
                ImportedLot { points: 50, expires_at: Some(at(NEW_YEAR_2027)) }
            ]
        );
        assert_eq!((two.status, two.enrollment.vip_tier), (CustomerStatus::Excluded, None));
        let gone = customer(
            json!({"availablePoints": 150, "expiringPointsAmount": 50, "pointsExpireAt": "2026-01-01T00:00:00Z"}),
        );
        assert_eq!(gone.unwrap().lots, vec![ImportedLot { points: 100, expires_at: None }], "expired already");
        for (extra, says) in [
            (json!({"availablePoints": 10.5}), "fractional"),
            (json!({"availablePoints": -1}), "negative"),
            (json!({}), "availablePoints is required"),
            (json!({"availablePoints": 10, "expiringPointsAmount": 5}), "needs pointsExpireAt"),
            (json!({"availablePoints": 9_007_199_254_740_993u64}), "past"),
            (json!({"availablePoints": 10, "pointsExpireAt": "soon", "expiringPointsAmount": 5}), "RFC 3339"),
            (json!({"availablePoints": 10, "email": "nope"}), "email"),
        ] {
            let refused = customer(extra.clone()).unwrap_err().to_string();
            assert!(refused.contains(says), "{extra}: {refused}");
        }
        let csv = [json!({"customerId": "9", "email": "c@d.co", "points": "5", "colour": "red"})];
        assert!(csv_customer(&csv, at(NOW)).unwrap_err().to_string().contains("colour"));
        let csv = [json!({"customerId": "9", "email": "c@d.co"})];
        assert!(csv_customer(&csv, at(NOW)).unwrap_err().to_string().contains("points is required"));
    }
}
