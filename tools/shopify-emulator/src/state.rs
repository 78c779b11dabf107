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
    /// A legacy custom app's static token, if the shop has one.
    pub access_token: Option<String>,
    /// A Dev Dashboard app's credentials, for the client credentials grant.
    pub client: Option<Client>,
    /// Tokens issued by the client credentials grant, with when each expires.
    pub issued: HashMap<String, std::time::Instant>,
    /// `webhookSubscriptionCreate`'s subscriptions.
    pub subscriptions: Vec<Subscription>,
    /// Orders placed, by id.
    pub orders: BTreeMap<u64, Order>,
    /// How many tokens the client credentials grant issued.
    pub tokens_issued: u64,
    pub discounts: Vec<Discount>,
    pub variants: BTreeMap<u64, Decimal>,
    /// The names the storefront shows for variants registered with them.
    pub variant_names: BTreeMap<u64, VariantNames>,
    /// Store credit accounts by customer GID: one per currency.
    pub store_credit: BTreeMap<String, Vec<CreditAccount>>,
    /// Where the shop's webhooks go, if anywhere.
    pub webhooks: Option<WebhookTarget>,
    /// Where the storefront's `/apps/tally` goes, if the app has a proxy.
    pub app_proxy: Option<crate::storefront::AppProxy>,
    /// `metafieldsSet`'s metafields.
    pub metafields: Vec<StoredMetafield>,
    /// `flowTriggerReceive`'s triggers, in the order received.
    pub flow_triggers: Vec<FlowTrigger>,
    /// The codes checkout extensions applied with `applyDiscountCodeChange`.
    pub applied_codes: Vec<String>,
    /// How long Shopify takes to count a code's use (`asyncUsageCount` lags real usage).
    pub usage_lag: std::time::Duration,
    next_id: u64,
    order_count: u64,
}

/// A metafield as the emulator keeps it, and as the control API lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredMetafield {
    pub owner_id: String,
    pub namespace: String,
    pub key: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub value: String,
    pub compare_digest: String,
}

/// What the storefront calls a variant: its product's title (`Mug`) and its own (`Blue`).
#[derive(Debug, Clone, Default)]
pub struct VariantNames {
    pub product_title: Option<String>,
    pub title: Option<String>,
}

/// A Flow trigger received, as the control API lists it.
#[derive(Debug, Clone, Serialize)]
pub struct FlowTrigger {
    pub handle: String,
    pub payload: Value,
}

/// Where a shop's webhooks go when no subscription names their topic, and how they are signed.
#[derive(Debug, Clone)]
pub struct WebhookTarget {
    pub url: String,
    pub secret: String,
}

/// A Dev Dashboard app's credentials and how long its tokens last.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: String,
    pub secret: String,
    pub token_ttl: std::time::Duration,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Subscription {
    pub id: String,
    /// The GraphQL topic: `ORDERS_CREATE`.
    pub topic: String,
    pub uri: String,
}

/// An order, as far as Tally asks about it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Order {
    pub id: u64,
    pub name: String,
    pub codes: Vec<String>,
    pub customer_id: Option<u64>,
    /// Shopify's `displayFinancialStatus`: `PAID`, `PARTIALLY_REFUNDED`, `REFUNDED`.
    pub financial_status: &'static str,
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
    pub fn new(access_token: Option<String>, client: Option<Client>) -> ShopState {
        ShopState { access_token, client, next_id: 1000, ..ShopState::default() }
    }

    /// The app's own metafield namespace: `app--{client id}` (`$app` resolves to it).
    pub fn app_namespace(&self) -> String {
        format!("app--{}", self.client.as_ref().map_or("0", |c| c.id.as_str()))
    }

    /// A namespace as stored, as Liquid and extensions name it: `app--{client id}--tally` is `$app:tally`,
    /// `app--{client id}` is `$app`; any other as it is.
    pub fn reserved_form(&self, stored: &str) -> String {
        match stored.strip_prefix(&self.app_namespace()) {
            Some("") => "$app".into(),
            Some(rest) => rest.strip_prefix("--").map_or_else(|| stored.to_string(), |sub| format!("$app:{sub}")),
            None => stored.to_string(),
        }
    }

    /// Whether a request with this token may call the Admin API: the static token, or an issued one that
    /// has not expired (nor been revoked).
    pub fn accepts(&self, token: &str) -> bool {
        !token.is_empty()
            && (self.access_token.as_deref() == Some(token)
                || self.issued.get(token).is_some_and(|expires| *expires > std::time::Instant::now()))
    }

    /// A token of the client credentials grant, valid for the app's TTL.
    pub fn issue_token(&mut self) -> Option<(String, u64)> {
        let ttl = self.client.as_ref()?.token_ttl;
        self.next_id += 1;
        let token = format!("shpca_emulated_{:032x}", u128::from(self.next_id) * 0x9E37_79B9_7F4A_7C15);
        self.issued.insert(token.clone(), std::time::Instant::now() + ttl);
        self.tokens_issued += 1;
        Some((token, ttl.as_secs()))
    }

    /// Where a topic's deliveries go: its subscriptions' URIs, or the shop's webhook URL when it has none.
    pub fn delivery_urls(&self, topic: &str) -> Vec<String> {
        let graphql_topic = topic.replace('/', "_").to_uppercase();
        let subscribed: Vec<String> =
            self.subscriptions.iter().filter(|s| s.topic == graphql_topic).map(|s| s.uri.clone()).collect();
        if !subscribed.is_empty() {
            return subscribed;
        }
        self.webhooks.iter().map(|target| target.url.clone()).collect()
    }

    /// The secret the shop's webhooks are signed with.
    pub fn signing_secret(&self) -> Option<String> {
        self.webhooks.as_ref().map(|t| t.secret.clone()).or_else(|| self.client.as_ref().map(|c| c.secret.clone()))
    }

    pub fn next_gid(&mut self, kind: &str) -> String {
        self.next_id += 1;
        format!("gid://shopify/{kind}/{}", self.next_id)
    }

    /// A new order's id and number.
    pub fn next_order(&mut self) -> (u64, u64) {
        self.order_count += 1;
        (450_789_468 + self.order_count, 1000 + self.order_count)
    }

    /// A variant as the Storefront API's `nodes(ids:)` gives it, if the shop has it. Unnamed, it is the only
    /// variant (Shopify's `Default Title`) of a product named after its id.
    pub fn variant_node(&self, id: u64) -> Option<Value> {
        let names =
            self.variants.contains_key(&id).then(|| self.variant_names.get(&id).cloned().unwrap_or_default())?;
        Some(serde_json::json!({
            "id": format!("gid://shopify/ProductVariant/{id}"),
            "title": names.title.unwrap_or_else(|| "Default Title".into()),
            "product": {"title": names.product_title.unwrap_or_else(|| format!("Product {id}"))},
        }))
    }

    pub fn discount_by_code(&self, code: &str) -> Option<&Discount> {
        self.discounts.iter().find(|d| d.code.eq_ignore_ascii_case(code))
    }

    /// The state as the control API shows it.
    pub fn to_json(&self) -> Value {
        let credit: Vec<&CreditAccount> = self.store_credit.values().flatten().collect();
        let variants: Vec<Value> = self
            .variants
            .iter()
            .map(|(id, price)| {
                let names = self.variant_names.get(id).cloned().unwrap_or_default();
                serde_json::json!({"id": id, "price": price.to_string(), "productTitle": names.product_title,
                    "title": names.title})
            })
            .collect();
        serde_json::json!({"discounts": self.discounts, "storeCredit": credit, "variants": variants,
            "webhookSubscriptions": self.subscriptions, "orders": self.orders.values().collect::<Vec<_>>(),
            "tokensIssued": self.tokens_issued, "metafields": self.metafields, "flowTriggers": self.flow_triggers,
            "appliedCodes": self.applied_codes})
    }
}
