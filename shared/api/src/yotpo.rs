//! Yotpo's own loyalty API (loyaltyapi.yotpo.com, base `…/api/v2`), so that a Yotpo client switches by
//! changing its base URL and key: the key in `x-api-key` (`x-guid` accepted and ignored) or in the query
//! (`?merchant_id=…&api_key=…`, as Yotpo's guide shows), Yotpo's snake_case fields, its customer
//! identifiers and its redemption option ids (Tally's rule ids). Each call rides on Tally's use case; this
//! module reads Yotpo's request and writes Tally's answer (kept for retries in Tally's words) in Yotpo's.

use lambda_http::{Body, Request, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use tally_app::idempotency::Attempt;
use tally_app::ports::{Shopify, Store};
use tally_app::Deps;
use tally_domain::customer::{CustomerParts, CustomerRef};
use tally_domain::loyalty::Loyalty;
use tally_domain::points::Points;
use tally_domain::redemption::{RedeemCommand, RedeemOption};
use tally_domain::rule::RewardType;
use tally_domain::shop::Shop;
use tally_domain::{rfc3339, Time};

use crate::dialect::{self, Answer};
use crate::endpoint::{read_as, write_as, Reply};
use crate::errors::{Problem, Unauthorized};
use crate::request::{self, number, Invalid};

/// The shop of the key in `x-api-key`, or in the query's `api_key`.
pub async fn caller<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Shop, Problem> {
    let given = |key: Option<String>| key.filter(|k| !k.trim().is_empty());
    let header = given(req.headers().get("x-api-key").and_then(|v| v.to_str().ok()).map(str::to_string));
    let key = header.or_else(|| given(request::query_param(req, "api_key")));
    dialect::shop_of(deps, key.as_deref(), Unauthorized::MissingYotpoKey).await
}

/// A read, answered in Yotpo's words.
pub async fn read<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    req: &Request,
    run: impl AsyncFnOnce(&Shop) -> Result<Reply<'static>, Problem>,
) -> Response<Body> {
    in_yotpo_s_words(read_as(caller(deps, req).await, run).await, |body| body)
}

/// `POST /api/v2/redemptions`: Tally's redemption, answered with Yotpo's redemption (the code in
/// `reward_text`).
pub async fn redeem<'d, S: Store, H: Shopify, P>(
    deps: &'d Deps<S, H>,
    req: &Request,
    prepare: impl AsyncFnOnce(&Shop, &RedeemCommand) -> P,
    run: impl AsyncFnOnce(&Shop, RedeemCommand, P, &Attempt) -> Result<Reply<'d>, Problem>,
) -> Response<Body> {
    let who = caller(deps, req).await;
    let currency = who.as_ref().map(|shop| shop.currency.clone()).unwrap_or_default();
    let parse = |req: &Request| redemption_command(req, &currency);
    in_yotpo_s_words(write_as(deps, req, who, parse, prepare, run).await, |redeemed| redemption(&redeemed))
}

/// Yotpo's "Create Redemption" body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RedemptionBody {
    #[serde(default)]
    customer_email: Option<String>,
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    pos_account_id: Option<String>,
    /// The customer's id in the shop: Shopify's.
    #[serde(default, alias = "customer_id")]
    customer_external_id: Option<Value>,
    redemption_option_id: u64,
    #[serde(default)]
    delay_points_deduction: Option<bool>,
    #[serde(default)]
    currency: Option<String>,
    #[serde(default)]
    points: Option<Value>,
}

fn redemption_command(req: &Request, currency: &str) -> Result<RedeemCommand, Invalid> {
    let body: RedemptionBody = request::json(req)?;
    if body.currency.as_deref().is_some_and(|given| !given.trim().trim_end_matches('.').eq_ignore_ascii_case(currency))
    {
        return Err(Invalid::Currency { shop: currency.to_string() });
    }
    let id = match &body.customer_external_id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or(Invalid::YotpoCustomer)?),
        Some(Value::String(s)) => Some(s.trim().parse().map_err(|_| Invalid::YotpoCustomer)?),
        Some(_) => return Err(Invalid::YotpoCustomer),
    };
    let customer =
        customer(id, body.customer_email.as_deref(), body.phone_number.as_deref(), body.pos_account_id.as_deref())?;
    let redeem_rule_id = tally_domain::ids::RuleId::new(body.redemption_option_id).ok_or(Invalid::RuleId)?;
    let points = match &body.points {
        None | Some(Value::Null) => None,
        Some(value) => Some(Points::new("points", number("points", value)?)?),
    };
    let delay = body.delay_points_deduction.unwrap_or(false);
    Ok(RedeemCommand { customer, redeem_rule_id, points, variant_id: None, delay_points_deduction: delay })
}

/// The customer Yotpo's identifiers name (exactly one): its POS account id is Tally's external id.
fn customer(
    id: Option<u64>,
    email: Option<&str>,
    phone: Option<&str>,
    pos: Option<&str>,
) -> Result<CustomerRef, Invalid> {
    Ok(CustomerRef::from_parts(CustomerParts { id, email, phone, external_id: pos })?)
}

/// The customer a query names, in Yotpo's parameter names.
pub fn customer_in_query(req: &Request) -> Result<Option<CustomerRef>, Invalid> {
    let q = |name| request::query_param(req, name);
    let (email, phone, pos) = (q("customer_email"), request::phone_param(req, "phone_number"), q("pos_account_id"));
    let id = match q("customer_external_id").or_else(|| q("customer_id")) {
        Some(id) => Some(id.trim().parse().map_err(|_| Invalid::YotpoCustomer)?),
        None => None,
    };
    if id.is_none() && email.is_none() && phone.is_none() && pos.is_none() {
        return Ok(None);
    }
    customer(id, email.as_deref(), phone.as_deref(), pos.as_deref()).map(Some)
}

/// Tally's redemption answer as Yotpo's redemption.
fn redemption(redeemed: &Value) -> Value {
    let reward = &redeemed["reward"];
    json!({
        "id": reward["id"],
        "redemption_option_id": reward["pointRedeemRuleId"],
        "reward_text": reward["discountCode"],
        "cost_in_points": reward["pointsRedeemed"],
        "amount": reward["discountValue"],
        "currency": reward["currency"],
        "delay_points_deduction": reward["deductionMode"] == "ON_ORDER",
        "status": reward["status"].as_str().unwrap_or_default().to_lowercase(),
        "expires_at": reward["expireDate"],
        "created_at": reward["createAt"],
        "points_balance": redeemed["availablePoints"],
    })
}

/// Tally's answer in Yotpo's words: a success as `ok` writes it, an error as `{"error": …}` with Tally's
/// status and code.
fn in_yotpo_s_words(response: Response<Body>, ok: impl FnOnce(Value) -> Value) -> Response<Body> {
    let mut answer = Answer::of(&response);
    let body = match answer.status {
        ..400 => ok(std::mem::take(&mut answer.body)),
        _ => json!({"error": answer.body["error"]["detail"], "code": answer.body["error"]["code"]}),
    };
    // A reward Shopify has not confirmed in time stays 202, as on Tally's call: its code may never work.
    let status = answer.status;
    answer.rewritten(status, &body, "application/json")
}

/// The `discount_type` a query keeps, if any.
pub fn discount_type(req: &Request) -> Result<Option<String>, Invalid> {
    match request::query_param(req, "discount_type") {
        Some(kind) if !RewardType::ALL.iter().any(|t| dialect::discount_type(*t) == kind) => {
            let allowed: Vec<_> = RewardType::ALL.iter().map(|t| dialect::discount_type(*t)).collect();
            Err(Invalid::QueryWord { name: "discount_type", allowed: allowed.join(", ") })
        }
        kind => Ok(kind),
    }
}

/// `GET /api/v2/redemption_options`: the active rules as Yotpo's options; for a customer, those they qualify
/// for now. `discount_type` keeps those of one type.
pub fn options(options: Vec<RedeemOption>, for_customer: bool, discount_type: Option<&str>) -> Value {
    let listed = options
        .into_iter()
        .filter(|o| !for_customer || o.blocked.is_none())
        .map(|o| o.rule)
        .filter(|rule| discount_type.is_none_or(|wanted| dialect::discount_type(rule.reward_type) == wanted))
        .map(|rule| {
            let cost = rule.variable.map_or(rule.points_cost, |v| v.points_step);
            json!({
                "id": rule.id.get(),
                "name": rule.name,
                "description": rule.name,
                "icon": null,
                "cost_text": format!("{cost} points"),
                "amount": rule.variable.map(|v| v.value_per_step).or(rule.discount_value).map(|d| d.to_string()),
                "discount_type": dialect::discount_type(rule.reward_type),
                "applies_to_product_type": if rule.variant_ids.is_empty() { "ALL" } else { "SPECIFIC" },
                "duration": rule.expires_after_days.map(|d| format!("{d} days")),
                "variable": rule.variable.is_some(),
            })
        });
    Value::Array(listed.collect())
}

/// `GET /api/v2/customer_details`: Yotpo's customer record.
pub fn customer_details(loyalty: &Loyalty) -> Value {
    let c = &loyalty.customer;
    let time = |t: Time| rfc3339(t);
    json!({
        "email": c.email.as_ref().map(|e| e.as_str()),
        "phone_number": c.phone.as_ref().map(|p| p.as_str()),
        "pos_account_id": c.external_id.as_ref().map(|e| e.as_str()),
        "customer_external_id": c.customer_id.to_string(),
        "points_balance": loyalty.available_points(),
        "points_earned": c.credited_points,
        "points_redeemed": c.spent_points,
        "points_expire_at": loyalty.next_expiring().and_then(|lot| lot.expires_at).map(time),
        "vip_tier_name": c.vip_tier,
        "is_member": c.status == tally_domain::customer::CustomerStatus::Active,
        "created_at": time(c.created_at),
    })
}
