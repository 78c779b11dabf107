//! Each write path of the API as the DynamoDB client counts it, warm: the calls it makes, the sequential
//! round trips they take (calls made at the same time count once), and the capacity they consume; beside
//! the floor each path cannot go below.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::meter::Usage;
use crate::{Bench, Error, DOMAIN, KEY};

/// Operations of each path metered, to average over.
pub(crate) const PER_PATH: usize = 10;
/// The paths metered, in the report's order.
pub(crate) const PATHS: usize = 9;
/// Rewards a customer has before the path that measures what they cost a keyed redemption.
const EARLIER_REWARDS: usize = 50;

/// What one operation of a path took, on average.
pub(crate) struct PathFigures {
    pub name: &'static str,
    pub floor: &'static str,
    pub calls: f64,
    pub round_trips: f64,
    pub reads: f64,
    pub writes: f64,
}

/// A path: its name, its floor (what it cannot do without, in round trips), and one operation of it for a
/// fresh customer, whose preparation goes through the unmetered API.
const FLOORS: [(&str, &str); PATHS] = [
    ("redemption, immediate", "3: one read (customer, rule), one transaction, one write after Shopify"),
    ("redemption, immediate, with a key", "3: the key read with the customer and the rule; its claim, with the answer promised, in the transaction; the reward's outcome"),
    ("redemption, delayed, with a key", "3: as an immediate one (the points reserved instead of spent)"),
    ("add-points, with a key", "3: one read (the customer and their newest rewards, with the key), one transaction, the answer kept"),
    ("remove-points, with a key", "3: as add-points"),
    ("refund, with a key", "4: one read (the reward and the customer, with the key), the write that begins it, Shopify's deactivation, the transaction that ends it, with the answer kept at once"),
    ("portal redemption, with a key", "3: as a redemption (the shop and its secret held by the Lambda)"),
    ("orders/create webhook using a reward's code", "4: the delivery's marker with the code, the reward it names, the write that marks it used, the cancellation's marker read with the delivery recorded"),
    ("redemption, immediate, with a key, by a customer with 50 rewards", "3: as with a key (the answer, which lists the newest 50 rewards, is too long to promise: kept with the reward's outcome)"),
];

impl Bench {
    /// Every path, `PER_PATH` times each, for customers from `first_customer` on (`PATHS * (PER_PATH + 1)`).
    pub(crate) async fn paths(&self, first_customer: u64) -> Result<Vec<PathFigures>, Error> {
        let mut figures = Vec::new();
        let mut customer = first_customer;
        for (index, (name, floor)) in FLOORS.into_iter().enumerate() {
            let mut total = (0.0, 0.0, 0.0, 0.0);
            // The first operation warms the path (the shop and the key held, the connections open).
            for n in 0..=PER_PATH {
                let ready = self.prepare(index, customer).await?;
                self.meter.take();
                self.meter.take_trips();
                self.operate(index, customer, ready).await?;
                let usage = self.meter.take();
                let (calls, round_trips) = self.meter.take_trips();
                if n > 0 {
                    let (reads, writes) = units(&usage);
                    total = (total.0 + calls as f64, total.1 + round_trips as f64, total.2 + reads, total.3 + writes);
                }
                customer += 1;
            }
            let n = PER_PATH as f64;
            let (calls, round_trips, reads, writes) = (total.0 / n, total.1 / n, total.2 / n, total.3 / n);
            figures.push(PathFigures { name, floor, calls, round_trips, reads, writes });
        }
        Ok(figures)
    }

    /// What the path's operation needs beforehand: the reward to refund, the code an order uses.
    async fn prepare(&self, path: usize, customer: u64) -> Result<Value, Error> {
        match path {
            5 | 7 => {
                let body = json!({"customerId": customer, "redeemRuleId": self.rule});
                let reply = self.post(&self.api, "/api/external/redeem-points", body, None).await?;
                Ok(reply["reward"].clone())
            }
            8 => {
                for _ in 0..EARLIER_REWARDS {
                    let body = json!({"customerId": customer, "redeemRuleId": self.rule});
                    self.post(&self.api, "/api/external/redeem-points", body, None).await?;
                }
                Ok(Value::Null)
            }
            _ => Ok(Value::Null),
        }
    }

    async fn operate(&self, path: usize, customer: u64, ready: Value) -> Result<(), Error> {
        let api = &self.metered_api;
        let key = Some(format!("path-{path}-{customer}"));
        let redeem = json!({"customerId": customer, "redeemRuleId": self.rule});
        let adjust = json!({"customerId": customer, "points": 5, "reason": "bench"});
        match path {
            0 => self.post(api, "/api/external/redeem-points", redeem, None).await?,
            1 | 8 => self.post(api, "/api/external/redeem-points", redeem, key).await?,
            2 => {
                let delayed = json!({"customerId": customer, "redeemRuleId": self.rule, "delayPointsDeduction": true});
                self.post(api, "/api/external/redeem-points", delayed, key).await?
            }
            3 => self.post(api, "/api/external/add-points", adjust, key).await?,
            4 => self.post(api, "/api/external/remove-points", adjust, key).await?,
            5 => {
                let path = format!("/api/external/rewards/{}/refund", ready["id"]);
                self.post(api, &path, json!({"customerId": customer}), key).await?
            }
            6 => self.portal_redeem(customer, key).await?,
            7 => self.order(customer, ready["discountCode"].as_str().ok_or("no code")?).await?,
            _ => return Err(format!("no path {path}").into()),
        };
        Ok(())
    }

    async fn post(&self, api: &str, path: &str, body: Value, key: Option<String>) -> Result<Value, Error> {
        let mut request = self.http.post(format!("{api}{path}")).header("X-API-Key", KEY).json(&body);
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await?;
        let status = response.status();
        let answer: Value = response.json().await?;
        match status.is_success() {
            true => Ok(answer),
            false => Err(format!("{path}: {status} {answer}").into()),
        }
    }

    /// A redemption through the App Proxy, signed as Shopify signs it, for the customer logged in.
    async fn portal_redeem(&self, customer: u64, key: Option<String>) -> Result<Value, Error> {
        let timestamp = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs().to_string();
        let customer = customer.to_string();
        let mut query = vec![
            ("shop", DOMAIN.to_string()),
            ("logged_in_customer_id", customer),
            ("path_prefix", "/apps/tally".to_string()),
            ("timestamp", timestamp),
        ];
        let signature = tally_api::app_proxy::sign(crate::setup::SECRET, &query);
        query.push(("signature", signature));
        // The values are a domain, digits, hex and a path: only the path's slashes need escaping.
        let written: Vec<String> = query.iter().map(|(k, v)| format!("{k}={}", v.replace('/', "%2F"))).collect();
        let url = format!("{}/loyalty/cp/api/redeem-points?{}", self.metered_api, written.join("&"));
        let mut request = self.http.post(url).json(&json!({"redeemRuleId": self.rule}));
        if let Some(key) = key {
            request = request.header("Idempotency-Key", key);
        }
        let response = request.send().await?;
        match response.status().is_success() {
            true => Ok(response.json().await?),
            false => Err(format!("portal: {}", response.status()).into()),
        }
    }

    /// Shopify's `orders/create` for an order that used `code`, signed with the shop's secret.
    async fn order(&self, customer: u64, code: &str) -> Result<Value, Error> {
        let now = tally_domain::rfc3339(tally_domain::Time::now_utc());
        let body = json!({"id": 5_000_000 + customer, "name": format!("#{customer}"), "email": "c@example.com",
            "currency": "USD", "total_price": "20.00", "cancelled_at": null, "customer": {"id": customer},
            "discount_codes": [{"code": code, "amount": "1.00", "type": "fixed_amount"}]})
        .to_string();
        let response = self
            .http
            .post(format!("{}/webhooks/shopify", self.metered_api))
            .header("content-type", "application/json")
            .header("x-shopify-topic", "orders/create")
            .header("x-shopify-shop-domain", DOMAIN)
            .header("x-shopify-hmac-sha256", tally_api::auth::sign(crate::setup::SECRET, body.as_bytes()))
            .header("x-shopify-webhook-id", format!("bench-order-{customer}"))
            .header("x-shopify-event-id", format!("bench-order-event-{customer}"))
            .header("x-shopify-triggered-at", now)
            .body(body)
            .send()
            .await?;
        match response.status().is_success() {
            true => Ok(response.json().await?),
            false => Err(format!("orders/create: {}", response.status()).into()),
        }
    }
}

/// Read and write units in all.
fn units(usage: &BTreeMap<&'static str, Usage>) -> (f64, f64) {
    usage.values().fold((0.0, 0.0), |(r, w), u| (r + u.reads, w + u.writes))
}
