//! Mage's own API (developers.mageloyalty.com), so that a Mage client switches by changing its base URL and
//! key: the key in `Authorization` with no `Bearer`, JSON:API bodies in Mage's words, Mage's statuses. Each
//! call rides on Tally's use case and endpoint shape; this module reads Mage's request and writes Tally's
//! answer (kept for retries in Tally's words, so a replay is translated the same way) in Mage's.

use lambda_http::{Body, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use tally_app::idempotency::Attempt;
use tally_app::ports::{Shopify, Store};
use tally_app::Deps;
use tally_domain::customer::{CustomerRef, CustomerStatus, Email, Identity};
use tally_domain::ids::{CustomerId, RuleId};
use tally_domain::loyalty::Loyalty;
use tally_domain::redemption::RedeemCommand;
use tally_domain::rule::{RedeemRule, RuleAlias};
use tally_domain::shop::Shop;
use tally_domain::{rfc3339, Time};

use crate::dialect::{self, Answer};
use crate::endpoint::{read_as, write_as, Reply};
use crate::errors::{Problem, Unauthorized};
use crate::money;
use crate::request::{self, Invalid};

/// The shop whose key the request's `Authorization` carries, as Mage's clients send it (a `Bearer ` before
/// it is understood too).
pub async fn caller<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Shop, Problem> {
    let key = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let v = v.trim();
            let bearer = v.get(..7).is_some_and(|p| p.eq_ignore_ascii_case("bearer "));
            if bearer {
                v[7..].trim()
            } else {
                v
            }
        })
        .map(str::to_string);
    dialect::shop_of(deps, key.as_deref(), Unauthorized::MissingAuthorization).await
}

/// A read, answered in Mage's words.
pub async fn read<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    req: &Request,
    run: impl AsyncFnOnce(&Shop) -> Result<Reply<'static>, Problem>,
) -> Response<Body> {
    in_mage_s_words(read_as(caller(deps, req).await, run).await, |status, body| (status, body))
}

/// `POST /v1/rewards/{id}/purchase`: Tally's redemption, answered `201` with the reward history entry.
pub async fn purchase<'d, S: Store, H: Shopify, P>(
    deps: &'d Deps<S, H>,
    req: &Request,
    prepare: impl AsyncFnOnce(&Shop, &RedeemCommand) -> P,
    run: impl AsyncFnOnce(&Shop, RedeemCommand, P, &Attempt) -> Result<Reply<'d>, Problem>,
) -> Response<Body> {
    let who = caller(deps, req).await;
    // A reward named by the text id Mage gave it is the rule the importer kept that id for.
    let named = match (&who, alias_in_path(req)) {
        (Ok(shop), Some(alias)) => match tally_app::rules::by_alias(deps, shop, alias).await {
            Ok(id) => Some(id),
            Err(e) => return in_mage_s_words(Problem::from(e).response(), |status, body| (status, body)),
        },
        _ => None,
    };
    let answer = write_as(deps, req, who, |req| purchase_command(req, named), prepare, run).await;
    // A reward Shopify has not confirmed in time stays 202, as on Tally's call: its code may never work.
    let created = |status: u16| if status == 202 { 202 } else { 201 };
    let alias = alias_in_path(req).filter(|_| named.is_some());
    in_mage_s_words(answer, |status, redeemed| (created(status), json!({"data": history_entry(&redeemed, alias)})))
}

/// Mage's purchase body: `{"customer_identifier": "6789012345"}`, a Shopify customer id or an email.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PurchaseBody {
    customer_identifier: Value,
}

/// The reward's id in the path when it is text (an alias), not a number.
fn alias_in_path(req: &Request) -> Option<RuleAlias> {
    RuleAlias::parse(request::path_text(req, "id")?).ok()
}

/// The purchase, of the rule the path names: by its id, or by the alias `named` was found for.
fn purchase_command(req: &Request, named: Option<RuleId>) -> Result<RedeemCommand, Invalid> {
    let body: PurchaseBody = request::json(req)?;
    let customer = identifier(&body.customer_identifier).ok_or(Invalid::CustomerIdentifier)?;
    let by_id = request::path_id::<u64>(req, "id").ok().and_then(RuleId::new);
    let redeem_rule_id = by_id.or(named).ok_or(Invalid::PathId("id"))?;
    Ok(RedeemCommand { customer, redeem_rule_id, points: None, variant_id: None, delay_points_deduction: false })
}

/// A customer as Mage names one: a Shopify customer id (a number, or its digits) or an email.
pub fn identifier(given: &Value) -> Option<CustomerRef> {
    let text = match given {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().to_string(),
        _ => return None,
    };
    match text.parse::<u64>() {
        Ok(id) => CustomerId::new(id).map(CustomerRef::Id),
        Err(_) => Email::parse(&text).map(|email| CustomerRef::Identity(Identity::Email(email))),
    }
}

/// Tally's redemption answer as Mage's `reward_history_entry`; the reward named by `alias` when the client
/// named it so.
fn history_entry(redeemed: &Value, alias: Option<RuleAlias>) -> Value {
    let reward = &redeemed["reward"];
    let status = reward["status"].as_str().unwrap_or_default();
    json!({
        "type": "reward_history_entry",
        "id": reward["id"].to_string(),
        "attributes": {
            "reward_id": alias.map_or_else(|| reward["pointRedeemRuleId"].to_string(), |a| a.to_string()),
            "reward_name": reward["description"],
            "reward_discount_type": discount_type(reward["discountType"].as_str().unwrap_or_default()),
            "points_spent": reward["pointsRedeemed"],
            "discount_code": reward["discountCode"],
            // Mage's "active" is Tally's UNUSED; Tally's other words, lower-cased (PENDING is Tally's own).
            "status": if status == "UNUSED" { "active".to_string() } else { status.to_lowercase() },
            "is_refunded": status == "REFUNDED",
            "discount_code_redeemed_at": reward["usedAt"],
            "redeemed_at": reward["usedAt"],
            "expires_at": reward["expireDate"],
            "created_at": reward["createAt"],
            "updated_at": reward["usedAt"].as_str().map_or(reward["createAt"].clone(), |used| json!(used)),
        }
    })
}

/// Mage's discount type for Tally's reward discount type (Appstle's words on the reward).
fn discount_type(tally: &str) -> String {
    match tally {
        "FIXED" => "fixed_amount".into(),
        other => other.to_lowercase(),
    }
}

/// Tally's answer in Mage's words: a success as `ok` writes it; an error as JSON:API errors, with Mage's
/// statuses (422 for insufficient points, 403 for an excluded customer or another tier, 404 for what is not
/// found, 503 when Shopify cannot issue the code).
fn in_mage_s_words(response: Response<Body>, ok: impl FnOnce(u16, Value) -> (u16, Value)) -> Response<Body> {
    let mut answer = Answer::of(&response);
    let (status, body) = match answer.status {
        status @ ..400 => ok(status, std::mem::take(&mut answer.body)),
        status => {
            let body = &answer.body;
            let error = &body["error"];
            let code = error["code"].as_str().unwrap_or_default();
            let status = match code {
                "INSUFFICIENT_POINTS" => 422,
                // Mage's 422 says "not enough points": a key used for another request is a conflict here.
                "IDEMPOTENCY_KEY_REUSED" => 409,
                // Mage: "customer or reward not found" covers one not in the program and one not active.
                "CUSTOMER_NOT_ENROLLED" | "RULE_INACTIVE" => 404,
                _ => status,
            };
            let one = json!({"status": status.to_string(), "code": code, "title": error["message"],
                "detail": error["detail"]});
            (status, json!({"errors": [one]}))
        }
    };
    answer.rewritten(status, &body, "application/vnd.api+json")
}

/// Mage's page: `page[number]` (from 1) and `page[size]` (1 to 100, 20 by default).
pub fn page(req: &Request) -> Result<(usize, usize), Invalid> {
    let number = request::query_number(req, "page[number]")?.unwrap_or(1);
    let size = request::query_number(req, "page[size]")?.unwrap_or(20);
    if number == 0 || !(1..=100).contains(&size) {
        return Err(Invalid::MagePage);
    }
    Ok((usize::try_from(number).unwrap_or(usize::MAX), size as usize))
}

/// `GET /v1/rewards`: the shop's active rules as Mage's rewards, one page of them, with Mage's `meta`.
#[derive(Debug, Serialize)]
pub struct RewardsPage {
    data: Vec<Resource<RewardAttributes>>,
    meta: PageMeta,
}

#[derive(Debug, Serialize)]
struct Resource<A> {
    #[serde(rename = "type")]
    kind: &'static str,
    id: String,
    attributes: A,
}

#[derive(Debug, Serialize)]
struct PageMeta {
    total: usize,
    page: usize,
    per_page: usize,
    total_pages: usize,
}

/// Mage's reward object. Tally keeps no times on a rule, so `created_at` and `updated_at` are null.
#[derive(Debug, Serialize)]
struct RewardAttributes {
    name: String,
    description: Option<String>,
    discount_type: String,
    reward_type: &'static str,
    points_cost: i64,
    #[serde(serialize_with = "money::write_option")]
    discount_amount: Option<rust_decimal::Decimal>,
    #[serde(serialize_with = "money::write_option")]
    minimum_spend: Option<rust_decimal::Decimal>,
    is_active: bool,
    max_redemptions: Option<u64>,
    expiry_days: Option<u32>,
    created_at: Option<String>,
    updated_at: Option<String>,
}

impl RewardsPage {
    /// Page `number` of `size` of the rules, each named by its alias where it has one.
    pub fn of(rules: Vec<(RedeemRule, Option<RuleAlias>)>, (number, size): (usize, usize)) -> RewardsPage {
        let total = rules.len();
        let skip = number.saturating_sub(1).saturating_mul(size);
        let data = rules.into_iter().skip(skip).take(size).map(reward).collect();
        RewardsPage { data, meta: PageMeta { total, page: number, per_page: size, total_pages: total.div_ceil(size) } }
    }
}

fn reward((rule, alias): (RedeemRule, Option<RuleAlias>)) -> Resource<RewardAttributes> {
    let id = alias.map_or_else(|| rule.id.to_string(), |alias| alias.to_string());
    let attributes = RewardAttributes {
        name: rule.name,
        description: None,
        discount_type: dialect::discount_type(rule.reward_type).into(),
        reward_type: if rule.vip_tier.is_some() { "tier" } else { "discount" },
        points_cost: rule.points_cost,
        discount_amount: rule.variable.map(|v| v.value_per_step).or(rule.discount_value),
        minimum_spend: rule.minimum_subtotal,
        is_active: rule.status == tally_domain::rule::RuleStatus::Active,
        max_redemptions: None,
        expiry_days: rule.expires_after_days,
        created_at: None,
        updated_at: None,
    };
    Resource { kind: "reward", id, attributes }
}

/// `GET /v1/customers/{identifier}`: Mage's customer object. What Tally does not keep (names, birthday,
/// referrals, a tier's thresholds) is null.
pub fn customer(loyalty: &Loyalty) -> Value {
    let c = &loyalty.customer;
    let next = loyalty.next_expiring();
    let status = match c.status {
        CustomerStatus::Active => "member",
        // Mage has two words: a customer who left the program is not a member either.
        CustomerStatus::Excluded | CustomerStatus::ExcludedByCustomer | CustomerStatus::Inactive => "excluded",
    };
    let tier = c.vip_tier.as_ref().map(|name| {
        json!({"id": name, "name": name, "points_required": null, "points_multiplier": null,
            "badge_image_url": null, "badge_color": null})
    });
    let time = |t: Time| rfc3339(t);
    json!({"data": {"type": "customer", "id": c.customer_id.to_string(), "attributes": {
        "shopify_customer_id": c.customer_id.to_string(),
        "email": c.email.as_ref().map(|e| e.as_str()),
        "first_name": null,
        "last_name": null,
        "current_points": loyalty.available_points(),
        "lifetime_points": c.credited_points,
        "redeemed_points": c.spent_points,
        "loyalty_status": status,
        "date_of_birth": null,
        "referral_url": null,
        "referral_code": null,
        "vip_tier": tier,
        "points_expire_at": next.and_then(|lot| lot.expires_at).map(time),
        "created_at": time(c.created_at),
        "updated_at": time(c.updated_at),
    }}})
}
