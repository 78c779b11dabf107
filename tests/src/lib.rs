//! The test stack: a fresh DynamoDB Local table, a Shopify emulator and the local API server, all real,
//! each test its own so that tests run in parallel.

pub mod browser;
pub mod events;
pub mod extensions;
mod large_stack;
mod records;
pub mod scale;
pub mod server;
pub mod storefront;

pub use large_stack::on_a_large_stack;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use tally_app::ports::store::{ApiKeys, ListedKey, ShopRecords};
use tally_app::ports::{OsRandom, Random, Store};
use tally_config::{dynamodb_client, Config, Deps};
use tally_domain::ids::{hash_api_key, CustomerId, RewardId, RuleId};
use tally_domain::shop::{Access, Shop, ShopDomain, ShopSecrets};
use tally_domain::Time;
use tally_shopify::ShopifyTimeouts;
use tally_store::{DynamoStore, Stream};

/// Short Shopify timeouts, so that the emulator's held answers and retries finish quickly.
pub const TEST_TIMEOUTS: ShopifyTimeouts =
    ShopifyTimeouts { request: Duration::from_millis(800), budget: Duration::from_millis(2500) };

pub struct Stack {
    pub store: DynamoStore,
    pub deps: Arc<Deps>,
    /// The local API server's base URL.
    pub api: String,
    /// The Shopify emulator's base URL.
    pub emulator: String,
    pub http: reqwest::Client,
}

/// A shop registered in Tally and in the emulator, with an API key.
pub struct TestShop {
    pub domain: String,
    /// The domain as the store takes it.
    pub id: ShopDomain,
    pub key: String,
}

/// The time now, to the second, as Tally keeps it.
pub fn now() -> Time {
    let now = Time::now_utc();
    now.replace_nanosecond(0).unwrap_or(now)
}

/// A customer id of the tests.
pub fn customer(id: u64) -> CustomerId {
    CustomerId::new(id).expect("a positive id")
}

pub fn rule_id(id: u64) -> RuleId {
    RuleId::new(id).expect("a positive id")
}

pub fn reward_id(id: u64) -> RewardId {
    RewardId::new(id).expect("a positive id")
}

/// A random API key.
pub fn api_key() -> String {
    let mut entropy = [0u8; 32];
    OsRandom.fill(&mut entropy);
    tally_domain::ids::api_key(entropy)
}

/// A random positive number, for names that must not collide.
pub fn random_id() -> u64 {
    let mut entropy = [0u8; 8];
    OsRandom.fill(&mut entropy);
    RewardId::from_entropy(u64::from_le_bytes(entropy)).get()
}

/// Stores `key` as an API key of the shop, as `tally-cli api-key create` does.
pub async fn add_key(store: &DynamoStore, domain: &ShopDomain, key: &str) {
    let listed = ListedKey { hash: hash_api_key(key), prefix: key.chars().take(12).collect(), created_at: now() };
    store.shop(domain).add_key(&listed).await.expect("key stored");
}

/// A reply from the API: status, JSON body and the headers a test may look at.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    /// The body as sent, for what `Value` does not keep (a number's own digits: `5.00`).
    pub text: String,
    pub retry_after: Option<u64>,
    pub replayed: bool,
}

impl Reply {
    pub fn code(&self) -> &str {
        self.body["error"]["code"].as_str().unwrap_or("")
    }
}

pub fn dynamodb_endpoint() -> String {
    std::env::var("DYNAMODB_ENDPOINT")
        .expect("DYNAMODB_ENDPOINT must name a DynamoDB Local; run the tests with `make test`")
}

/// A store on a table of its own, without the stream (`tally_store::Stream`).
pub async fn fresh_store() -> DynamoStore {
    fresh_store_with(Stream::Off).await
}

pub async fn fresh_store_with(stream: Stream) -> DynamoStore {
    let table = format!("test-{}", random_id());
    let store = DynamoStore::new(dynamodb_client(Some(&dynamodb_endpoint())).expect("a local client"), table);
    store.create_table_with(stream).await.expect("DynamoDB Local creates the table");
    store
}

impl Stack {
    pub async fn start() -> Stack {
        Stack::start_with(Stream::Off).await
    }

    /// A stack whose table has its stream, for the events function to read.
    pub async fn start_with(stream: Stream) -> Stack {
        let store = fresh_store_with(stream).await;
        let emulator = shopify_emulator::Emulator::new();
        let emulator_addr = emulator.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("emulator starts");
        let config = Config {
            table_name: store.table().to_string(),
            dynamodb_endpoint: Some(dynamodb_endpoint()),
            shopify: TEST_TIMEOUTS,
        };
        let deps = Arc::new(tally_config::deps(&config).expect("deps"));
        let api_addr = local_api::serve(deps.clone(), SocketAddr::from(([127, 0, 0, 1], 0))).await.expect("api starts");
        Stack {
            store,
            deps,
            api: format!("http://{api_addr}"),
            emulator: format!("http://{emulator_addr}"),
            http: reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client"),
        }
    }

    /// A shop with its own emulator state and a new API key.
    pub async fn shop(&self, name: &str) -> TestShop {
        self.shop_with_key(name, &api_key()).await
    }

    /// A shop with its own emulator state, opened by `key`: a legacy app with a static token.
    pub async fn shop_with_key(&self, name: &str, key: &str) -> TestShop {
        let domain = format!("{name}.myshopify.com");
        let shop = self.shop_record(&domain, Access::StaticToken);
        let secrets = ShopSecrets::new("secret", Some("shpat_test")).expect("valid secrets");
        self.store.shop(&shop.domain).create(&shop, &secrets).await.expect("shop created");
        add_key(&self.store, &shop.domain, key).await;
        let webhooks = format!("{}/webhooks/shopify", self.api);
        let register = json!({"domain": domain, "accessToken": "shpat_test", "webhookUrl": webhooks,
            "clientSecret": "secret", "appProxyUrl": format!("{}/loyalty/cp", self.api)});
        self.control("POST", "/__emulator/shops", register).await;
        TestShop { domain, id: shop.domain, key: key.to_string() }
    }

    /// A shop connected as a Dev Dashboard app (client id `app-{name}`, secret `secret`) whose tokens last
    /// `token_ttl_seconds`, its webhooks subscribed to this stack's API, and an API key.
    pub async fn connected_shop(&self, name: &str, token_ttl_seconds: u64) -> TestShop {
        let domain = format!("{name}.myshopify.com");
        let register = json!({"domain": domain, "clientId": format!("app-{name}"), "clientSecret": "secret",
            "tokenTtlSeconds": token_ttl_seconds, "appProxyUrl": format!("{}/loyalty/cp", self.api)});
        self.control("POST", "/__emulator/shops", register).await;
        let shop = self.shop_record(&domain, Access::ClientCredentials { client_id: format!("app-{name}") });
        let secrets = ShopSecrets::new("secret", None).expect("valid secrets");
        let webhooks = format!("{}/webhooks/shopify", self.api);
        tally_app::shops::connect(&self.deps, &shop, &secrets, Some(&webhooks)).await.expect("connected");
        let key = api_key();
        add_key(&self.store, &shop.domain, &key).await;
        TestShop { domain, id: shop.domain, key }
    }

    /// A shop's record as the tests make them: codes prefixed `TEST-`, Shopify at this stack's emulator.
    pub fn shop_record(&self, domain: &str, access: Access) -> Shop {
        let shop =
            Shop::new(domain, access, now()).expect("valid shop").with_code_prefix("TEST-").expect("valid prefix");
        Shop { admin_url: format!("{}/shops/{domain}", self.emulator), ..shop }
    }

    pub async fn post(&self, key: &str, path: &str, body: Value) -> Reply {
        let request = self.http.post(format!("{}{path}", self.api)).header("X-API-Key", key).json(&body);
        reply(request).await
    }

    /// A POST with an `Idempotency-Key`.
    pub async fn post_once(&self, key: &str, idempotency_key: &str, path: &str, body: Value) -> Reply {
        let request = self
            .http
            .post(format!("{}{path}", self.api))
            .header("X-API-Key", key)
            .header("Idempotency-Key", idempotency_key)
            .json(&body);
        reply(request).await
    }

    pub async fn put(&self, key: &str, path: &str, body: Value) -> Reply {
        reply(self.http.put(format!("{}{path}", self.api)).header("X-API-Key", key).json(&body)).await
    }

    /// A DELETE, with an `Idempotency-Key` when one is given.
    pub async fn delete(&self, key: &str, idempotency_key: Option<&str>, path: &str) -> Reply {
        let mut request = self.http.delete(format!("{}{path}", self.api)).header("X-API-Key", key);
        if let Some(idempotency_key) = idempotency_key {
            request = request.header("Idempotency-Key", idempotency_key);
        }
        reply(request).await
    }

    pub async fn get(&self, key: &str, path: &str) -> Reply {
        reply(self.http.get(format!("{}{path}", self.api)).header("X-API-Key", key)).await
    }

    /// Any request to the API, its answer recorded for the contract check like the others'.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Reply {
        reply(request).await
    }

    /// A stack with a shop, one rule and customers with the points given; returns the rule's id too.
    pub async fn with_rule(shop: &str, rule: Value, customers: &[(u64, i64)]) -> (Stack, TestShop, u64) {
        let stack = Stack::start().await;
        let shop = stack.shop(shop).await;
        let rule = stack.rule(&shop, rule).await;
        for &(id, points) in customers {
            stack.customer(&shop, id, points).await;
        }
        (stack, shop, rule)
    }

    /// Creates a rule and returns its id.
    pub async fn rule(&self, shop: &TestShop, rule: Value) -> u64 {
        let reply = self.post(&shop.key, "/api/external/point-redeem-rules", rule).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        reply.body["id"].as_u64().expect("rule id")
    }

    /// Enrolls a customer with `points` points.
    pub async fn customer(&self, shop: &TestShop, id: u64, points: i64) {
        let enroll = json!({"customerId": id, "email": format!("c{id}@example.com")});
        let reply = self.post(&shop.key, "/api/external/customers", enroll).await;
        assert_eq!(reply.status, 201, "{:?}", reply.body);
        if points > 0 {
            let add = json!({"customerId": id, "points": points, "reason": "test balance"});
            let reply = self.post(&shop.key, "/api/external/add-points", add).await;
            assert_eq!(reply.status, 200, "{:?}", reply.body);
        }
    }

    pub async fn loyalty(&self, shop: &TestShop, customer_id: u64) -> Value {
        let reply = self.get(&shop.key, &format!("/api/external/customer-loyalty?customerId={customer_id}")).await;
        assert_eq!(reply.status, 200, "{:?}", reply.body);
        reply.body
    }

    /// `tally-cli` on the test's table, as an operator runs it (off the runtime's thread, which serves the
    /// emulator it may ask); whether it succeeded, and what it printed. `make test` builds it.
    pub async fn cli(&self, args: &[&str]) -> (bool, String) {
        self.cli_with_env(args, &[]).await
    }

    /// Runs tally-cli with `env` set besides the table's.
    pub async fn cli_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
        let tests = std::env::current_exe().expect("the test binary");
        let binary = tests.parent().and_then(|d| d.parent()).expect("target folder").join("tally-cli");
        let mut command = std::process::Command::new(binary);
        command.args(args).env("TABLE_NAME", self.store.table()).env("DYNAMODB_ENDPOINT", dynamodb_endpoint());
        command.envs(env.iter().copied());
        let output = tokio::task::spawn_blocking(move || command.output()).await.unwrap().expect("tally-cli runs");
        let printed = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
        (output.status.success(), printed)
    }

    /// Places an order with the emulator, which delivers its webhooks to Tally; returns the emulator's answer.
    pub async fn order(&self, shop: &TestShop, order: Value) -> Value {
        self.control("POST", &format!("/__emulator/shops/{}/orders", shop.domain), order).await
    }

    pub async fn balance(&self, shop: &TestShop, customer_id: u64) -> i64 {
        self.loyalty(shop, customer_id).await["availablePoints"].as_i64().expect("points")
    }

    /// Calls the emulator's control API.
    pub async fn control(&self, method: &str, path: &str, body: Value) -> Value {
        let url = format!("{}{path}", self.emulator);
        let request = match method {
            "POST" => self.http.post(url).json(&body),
            "DELETE" => self.http.delete(url),
            _ => self.http.get(url),
        };
        let response = request.send().await.expect("emulator answers");
        assert!(response.status().is_success(), "emulator control {path}: {}", response.status());
        response.json().await.unwrap_or(Value::Null)
    }

    /// Settles the shop's pending rewards (and refunds left halfway) at once, as the scheduled function does
    /// once their grace period is over: it runs as if a minute had passed.
    pub async fn reconcile(&self, shop: &TestShop) -> tally_app::reconcile::ReconcileReport {
        let later = now() + time::Duration::minutes(1);
        tally_app::reconcile::reconcile(&self.deps, Some(&shop.id), Duration::ZERO, later, None)
            .await
            .expect("reconcile runs")
    }

    /// The audit of the shop; panics with what disagrees.
    pub async fn assert_audit_clean(&self, shop: &TestShop) -> tally_app::audit::AuditReport {
        let report = tally_app::audit::audit(&self.deps, &shop.id).await.expect("the audit runs");
        assert!(report.is_clean(), "the audit found problems: {:#?}", report.problems);
        report
    }

    /// A signed Shopify webhook delivery to `api` (Tally's base URL); returns the status and the body.
    pub async fn webhook(
        &self,
        api: &str,
        shop: &TestShop,
        topic: &str,
        webhook_id: &str,
        body: &Value,
    ) -> (u16, Value) {
        self.webhook_with(api, shop, topic, webhook_id, body, &[]).await
    }

    /// A signed delivery with more headers (`X-Shopify-Triggered-At`, `X-Shopify-Event-Id`, …).
    pub async fn webhook_with(
        &self,
        api: &str,
        shop: &TestShop,
        topic: &str,
        webhook_id: &str,
        body: &Value,
        headers: &[(&str, String)],
    ) -> (u16, Value) {
        let body = body.to_string();
        let mut request = self.http.post(format!("{api}/webhooks/shopify"));
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request
            .header("Content-Type", "application/json")
            .header("X-Shopify-Topic", topic)
            .header("X-Shopify-Shop-Domain", &shop.domain)
            .header("X-Shopify-Webhook-Id", webhook_id)
            .header("X-Shopify-Hmac-Sha256", tally_api::auth::sign("secret", body.as_bytes()))
            .body(body)
            .send()
            .await;
        match response {
            Ok(response) => {
                let status = response.status().as_u16();
                (status, response.json().await.unwrap_or(Value::Null))
            }
            Err(_) => (0, Value::Null),
        }
    }

    /// An Admin API call to the emulator, as the shop's app: what a merchant's admin does besides Tally.
    pub async fn shopify(&self, shop: &TestShop, query: &str, variables: Value) -> Value {
        let url = format!("{}/shops/{}/admin/api/2026-10/graphql.json", self.emulator, shop.domain);
        let request = self.http.post(url).header("X-Shopify-Access-Token", "shpat_test");
        let response = request.json(&json!({"query": query, "variables": variables})).send().await.expect("answers");
        response.json().await.expect("a JSON answer")
    }

    /// The discounts the emulator holds for the shop.
    pub async fn discounts(&self, shop: &TestShop) -> Vec<Value> {
        let state = self.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await;
        state["discounts"].as_array().cloned().unwrap_or_default()
    }
}

async fn reply(request: reqwest::RequestBuilder) -> Reply {
    reply_as(request, None).await
}

/// The reply, recorded for the contract check under `path` (Tally's path) when the request went elsewhere.
pub(crate) async fn reply_as(request: reqwest::RequestBuilder, path: Option<&str>) -> Reply {
    let (client, request) = request.build_split();
    let request = request.expect("a valid request");
    let method = request.method().to_string();
    let path = path.map_or_else(|| request.url().path().to_string(), str::to_string);
    let response = client.execute(request).await.expect("the API answers");
    let status = response.status().as_u16();
    let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    let retry_after = header("retry-after").and_then(|v| v.parse().ok());
    let replayed = header("idempotent-replayed").is_some();
    let text = response.text().await.expect("a body");
    record(&method, &path, status, &text);
    let body = serde_json::from_str(&text).unwrap_or_else(|_| panic!("status {status}: body is not JSON: {text}"));
    Reply { status, body, text, retry_after, replayed }
}

/// With `CONTRACT_LOG` set to a folder, every response the tests see is written there, one JSON line
/// each, for `scripts/contract.py` to check against openapi.yaml.
fn record(method: &str, path: &str, status: u16, body: &str) {
    use std::io::Write;
    static LOG: std::sync::Mutex<Option<std::fs::File>> = std::sync::Mutex::new(None);
    let Ok(folder) = std::env::var("CONTRACT_LOG") else { return };
    let mut log = LOG.lock().unwrap_or_else(|e| e.into_inner());
    if log.is_none() {
        let _ = std::fs::create_dir_all(&folder);
        let file = format!("{folder}/responses-{}.jsonl", std::process::id());
        *log = std::fs::OpenOptions::new().create(true).append(true).open(file).ok();
    }
    if let Some(file) = log.as_mut() {
        let line = json!({"method": method, "path": path, "status": status, "body": body});
        let _ = writeln!(file, "{line}");
    }
}
