//! What the emulator keeps per shop: discounts, variants, store credit.

use std::collections::{BTreeMap, HashMap};

use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;

#[derive(Default)]
pub struct State {
    pub shops: HashMap<String, ShopState>,
}

#[derive(Default)]
pub struct ShopState {
    pub access_token: String,
    pub discounts: Vec<Discount>,
    pub variants: BTreeMap<u64, Decimal>,
    /// Store credit accounts by customer GID: one per currency.
    pub store_credit: BTreeMap<String, Vec<CreditAccount>>,
    /// Where the shop's webhooks go, if anywhere.
    pub webhooks: Option<crate::orders::WebhookTarget>,
    /// How long Shopify takes to count a code's use (`asyncUsageCount` lags real usage).
    pub usage_lag: std::time::Duration,
    next_id: u64,
    orders: u64,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Discount {
    pub id: String,
    pub code: String,
    /// `basic` or `free_shipping`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `customerGets.value` for basic discounts.
    pub value: Value,
    /// What the discount applies to: `customerGets.items`.
    pub items: Value,
    /// The customer GID the code is restricted to, when it is.
    pub customer: Option<String>,
    pub status: &'static str,
    pub title: String,
    pub starts_at: Value,
    pub ends_at: Value,
    pub usage_limit: Value,
    pub applies_once_per_customer: Value,
    pub minimum_requirement: Value,
    pub combines_with: Value,
    /// How many orders used the code.
    pub used: u64,
    /// The shop's `usage_lag`, when the code was made.
    #[serde(skip)]
    pub usage_lag: std::time::Duration,
    /// When each use happened: Shopify's `asyncUsageCount` counts them only once they are `usage_lag` old.
    #[serde(skip)]
    pub uses: Vec<std::time::Instant>,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CreditAccount {
    pub id: String,
    pub customer: String,
    pub balance: Decimal,
    pub currency: String,
}

impl Discount {
    /// The uses Shopify has counted so far.
    pub fn counted_uses(&self) -> usize {
        self.uses.iter().filter(|at| at.elapsed() >= self.usage_lag).count()
    }
}

impl ShopState {
    pub fn new(access_token: String) -> ShopState {
        ShopState { access_token, next_id: 1000, ..ShopState::default() }
    }

    pub fn next_gid(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("gid://shopify/{kind}/{}", self.next_id)
    }

    /// A new order's id and number.
    pub fn next_order(&mut self) -> (u64, u64) {
        self.orders += 1;
        (450_789_468 + self.orders, 1000 + self.orders)
    }

    pub fn discount_by_code(&self, code: &str) -> Option<&Discount> {
        self.discounts.iter().find(|d| d.code.eq_ignore_ascii_case(code))
    }

    /// The state as the control API shows it.
    pub fn to_json(&self) -> Value {
        let credit: Vec<&CreditAccount> = self.store_credit.values().flatten().collect();
        let variants: Vec<Value> =
            self.variants.iter().map(|(id, price)| serde_json::json!({"id": id, "price": price.to_string()})).collect();
        serde_json::json!({"discounts": self.discounts, "storeCredit": credit, "variants": variants})
    }
}
