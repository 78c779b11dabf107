//! Shopify as the simulation meets it from outside Tally: shops registered, orders placed and refunded by
//! customers and merchants, failures set for a step, and what Shopify holds at the end of it. Once over the
//! fake, once over the project's emulator (its control API).

use std::collections::BTreeMap;
use std::future::Future;

use rust_decimal::Decimal;
use serde_json::{json, Value};
use tally_app::fakes::{FakeShopify, ShopifyFault};
use tally_domain::ids::{CustomerId, OrderId, VariantId};
use tally_domain::shop::ShopDomain;

/// A discount as Shopify holds it, as the checks and the comparison of the legs read it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Discount {
    pub code: String,
    pub id: String,
    pub active: bool,
    pub uses: u64,
}

pub trait ShopifyWorld {
    /// Where Tally's client reaches the shop's Admin API.
    fn admin_url(&self, domain: &ShopDomain) -> String;
    fn add_shop(&self, domain: &ShopDomain, token: &str, variants: &[(VariantId, Decimal)])
        -> impl Future<Output = ()>;
    /// A customer's order with `codes`; `None` when Shopify refuses a code (unknown, ended, used, another's).
    fn place_order(
        &self,
        domain: &ShopDomain,
        codes: &[String],
        customer: CustomerId,
    ) -> impl Future<Output = Option<(OrderId, String)>>;
    fn refund_order(&self, domain: &ShopDomain, order: OrderId, full: bool) -> impl Future<Output = ()>;
    /// The next step's calls fail so.
    fn fail(&self, fault: ShopifyFault) -> impl Future<Output = ()>;
    fn clear(&self) -> impl Future<Output = ()>;
    fn discounts(&self, domain: &ShopDomain) -> impl Future<Output = Vec<Discount>>;
    /// Store credit given, by customer.
    fn credit(&self, domain: &ShopDomain) -> impl Future<Output = BTreeMap<CustomerId, Decimal>>;
}

/// Down for a whole step: every call of it fails, however many it makes.
const DOWN_FOR_A_STEP: usize = 1000;

impl ShopifyWorld for FakeShopify {
    fn admin_url(&self, domain: &ShopDomain) -> String {
        format!("https://{domain}")
    }

    async fn add_shop(&self, domain: &ShopDomain, _token: &str, variants: &[(VariantId, Decimal)]) {
        FakeShopify::add_shop(self, domain, variants)
    }

    async fn place_order(
        &self,
        domain: &ShopDomain,
        codes: &[String],
        customer: CustomerId,
    ) -> Option<(OrderId, String)> {
        FakeShopify::place_order(self, domain, codes, Some(customer)).ok()
    }

    async fn refund_order(&self, domain: &ShopDomain, order: OrderId, full: bool) {
        FakeShopify::refund_order(self, domain, order, full)
    }

    async fn fail(&self, fault: ShopifyFault) {
        let count = if fault == ShopifyFault::Down { DOWN_FOR_A_STEP } else { 1 };
        self.fail_next(&vec![fault; count])
    }

    async fn clear(&self) {
        self.clear_faults()
    }

    async fn discounts(&self, domain: &ShopDomain) -> Vec<Discount> {
        let held = self.state(domain).discounts.into_iter();
        let mut seen: Vec<Discount> =
            held.map(|d| Discount { code: d.spec.code, id: d.id, active: d.active, uses: d.uses }).collect();
        seen.sort();
        seen
    }

    async fn credit(&self, domain: &ShopDomain) -> BTreeMap<CustomerId, Decimal> {
        self.state(domain).credit
    }
}

/// The project's Shopify emulator, through its control API.
pub struct Emulator {
    pub base: String,
    pub http: reqwest::Client,
}

impl Emulator {
    async fn post(&self, path: &str, body: Value) -> Option<Value> {
        let response = self.http.post(format!("{}{path}", self.base)).json(&body).send().await.ok()?;
        match response.status().is_success() {
            // A control call may answer 204, with nothing to read.
            true => Some(response.json().await.unwrap_or(Value::Null)),
            false => None,
        }
    }

    async fn state(&self, domain: &ShopDomain) -> Value {
        let url = format!("{}/__emulator/shops/{domain}/state", self.base);
        let answer = self.http.get(url).send().await.expect("the emulator answers");
        answer.json().await.expect("the emulator's state is JSON")
    }
}

impl ShopifyWorld for Emulator {
    fn admin_url(&self, domain: &ShopDomain) -> String {
        format!("{}/shops/{domain}", self.base)
    }

    async fn add_shop(&self, domain: &ShopDomain, token: &str, variants: &[(VariantId, Decimal)]) {
        self.post("/__emulator/shops", json!({"domain": domain.as_str(), "accessToken": token})).await.expect("a shop");
        for (id, price) in variants {
            let variant = json!({"id": id.get(), "price": price.to_string()});
            self.post(&format!("/__emulator/shops/{domain}/variants"), variant).await.expect("a variant");
        }
    }

    async fn place_order(
        &self,
        domain: &ShopDomain,
        codes: &[String],
        customer: CustomerId,
    ) -> Option<(OrderId, String)> {
        let path = format!("/__emulator/shops/{domain}/orders");
        let placed = self.post(&path, json!({"codes": codes, "customerId": customer.get()})).await?;
        let id = OrderId::new(placed["order"]["id"].as_u64()?)?;
        Some((id, placed["order"]["name"].as_str()?.to_string()))
    }

    async fn refund_order(&self, domain: &ShopDomain, order: OrderId, full: bool) {
        let _ = self.post(&format!("/__emulator/shops/{domain}/orders/{order}/refund"), json!({"full": full})).await;
    }

    async fn fail(&self, fault: ShopifyFault) {
        let faults = match fault {
            ShopifyFault::Down => json!({"mode": "error", "count": DOWN_FOR_A_STEP}),
            ShopifyFault::AnswerLost => json!({"mode": "timeout", "count": 1}),
            ShopifyFault::Refused => json!({"mode": "user_error", "count": 1}),
            ShopifyFault::Throttled => json!({"mode": "throttle", "count": 1}),
        };
        self.post("/__emulator/faults", faults).await.expect("faults set");
    }

    async fn clear(&self) {
        self.http.delete(format!("{}/__emulator/faults", self.base)).send().await.expect("faults cleared");
    }

    async fn discounts(&self, domain: &ShopDomain) -> Vec<Discount> {
        let state = self.state(domain).await;
        let held = state["discounts"].as_array().cloned().unwrap_or_default();
        let mut seen: Vec<Discount> = held
            .iter()
            .map(|d| Discount {
                code: d["code"].as_str().unwrap_or_default().into(),
                id: d["id"].as_str().unwrap_or_default().into(),
                active: d["status"] == "ACTIVE",
                uses: d["used"].as_u64().unwrap_or_default(),
            })
            .collect();
        seen.sort();
        seen
    }

    async fn credit(&self, domain: &ShopDomain) -> BTreeMap<CustomerId, Decimal> {
        let state = self.state(domain).await;
        let accounts = state["storeCredit"].as_array().cloned().unwrap_or_default();
        let customer = |a: &Value| a["customer"].as_str()?.rsplit('/').next()?.parse::<CustomerId>().ok();
        accounts.iter().filter_map(|a| Some((customer(a)?, a["balance"].as_str()?.parse().ok()?))).collect()
    }
}
