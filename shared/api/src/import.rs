//! An import's records, as `tally-cli import` reads them: Appstle's rule objects and customer-loyalty objects
//! (one JSON object per line, the customer's identifiers beside Appstle's fields), or rows of a CSV read as
//! objects of their header's names. Each becomes what `tally_app::import` takes, or the reason it cannot.

use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{Map, Value};
use time::format_description::well_known::Rfc3339;

use tally_app::import::{ImportedCustomer, ImportedLot};
use tally_domain::customer::{CustomerStatus, Enrollment, EnrollmentError};
use tally_domain::ids::RuleId;
use tally_domain::points::MAX_SAFE_INTEGER;
use tally_domain::rule::{RedeemRule, RuleError};
use tally_domain::Time;

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
}

/// A rule object, Appstle's or Tally's, under the id it had.
pub fn rule(object: Value) -> Result<RedeemRule, RecordRefused> {
    let id = object.get("id").and_then(Value::as_u64).and_then(RuleId::new).ok_or(RecordRefused::RuleWithoutId)?;
    let body: RuleBody = serde_json::from_value(object).map_err(|e| RecordRefused::Shape(e.to_string()))?;
    Ok(body.rule_for(id)?.into_rule(id)?)
}

/// A customer's identifiers, as an export writes them beside Appstle's loyalty information or as a CSV's
/// columns name them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Identifiers {
    customer_id: u64,
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
    let available = whole(balance.available_points)?;
    let expiring = whole(balance.expiring_points_amount)?.min(available);
    let expires_at = time("pointsExpireAt", balance.points_expire_at)?;
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
        let lot: CsvLot = read(row)?;
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
    let enrollment =
        Enrollment::new(ids.customer_id, &email, phone.as_deref(), external_id.as_deref(), tier.as_deref())?;
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

/// A CSV's rows as JSON objects of its header's names: numbers where a cell reads as one, text otherwise,
/// nothing for an empty cell. Quoted cells may hold commas, quotes (doubled) and line breaks.
pub fn csv_objects(text: &str) -> Result<Vec<Value>, RecordRefused> {
    let mut rows = csv_rows(text)?.into_iter();
    let header = rows.next().unwrap_or_default();
    Ok(rows
        .filter(|row| row.iter().any(|cell| !cell.is_empty()))
        .map(|row| {
            let cells = header.iter().zip(row).filter(|(_, cell)| !cell.is_empty());
            let object: Map<String, Value> = cells
                .map(|(name, cell)| {
                    let value =
                        serde_json::from_str::<serde_json::Number>(&cell).map_or(Value::String(cell), Value::Number);
                    (name.trim().to_string(), value)
                })
                .collect();
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
