//! The storefront's side of the stack: the demo shop of `make dev` (`scripts/demo.json`), and requests to
//! the customer portal as a shopper makes them, through the emulator's App Proxy, or signed by hand.

use serde_json::{json, Value};
use tally_domain::shop::{Access, ShopSecrets};

use crate::now;
use time::format_description::well_known::Rfc3339;

use crate::{reply_as, Reply, Stack, TestShop};

/// `make dev`'s demo data, which the storefront tests start from too.
pub const DEMO: &str = include_str!("../../scripts/demo.json");

impl Stack {
    /// The demo shop of `make dev`: a Dev Dashboard app with its App Proxy pointing at this stack, the demo's
    /// variants, rules (`$5 off` is rule 1) and customers (1001 with 2,500 points, 1002 with 400).
    pub async fn demo_shop(&self) -> TestShop {
        let domain = "demo.myshopify.com".to_string();
        let register = json!({"domain": domain, "clientId": "demo_client_id", "clientSecret": "secret",
            "appProxyUrl": format!("{}/loyalty/cp", self.api)});
        self.control("POST", "/__emulator/shops", register).await;
        let shop = self.shop_record(&domain, Access::ClientCredentials { client_id: "demo_client_id".into() });
        let shop = shop.with_code_prefix("DEMO-").expect("valid prefix");
        let secrets = ShopSecrets::new("secret", None).expect("valid secrets");
        let webhooks = format!("{}/webhooks/shopify", self.api);
        tally_app::shops::connect(&self.deps, &shop, &secrets, Some(&webhooks)).await.expect("connected");
        let key = crate::api_key();
        crate::add_key(&self.store, &shop.domain, &key).await;
        let shop = TestShop { domain, id: shop.domain, key };
        let demo: Value = serde_json::from_str(DEMO).expect("scripts/demo.json is JSON");
        for variant in demo["variants"].as_array().expect("variants") {
            self.control("POST", &format!("/__emulator/shops/{}/variants", shop.domain), variant.clone()).await;
        }
        for rule in demo["rules"].as_array().expect("rules") {
            self.rule(&shop, rule.clone()).await;
        }
        for customer in demo["customers"].as_array().expect("customers") {
            let enrolled = self.post(&shop.key, "/api/external/customers", customer["enroll"].clone()).await;
            assert_eq!(enrolled.status, 201, "{:?}", enrolled.body);
            let points = json!({"customerId": customer["enroll"]["customerId"], "points": customer["points"],
                "reason": "welcome bonus"});
            assert_eq!(self.post(&shop.key, "/api/external/add-points", points).await.status, 200);
            if let Some(expiring) = customer.get("expiring") {
                let days = expiring["inDays"].as_i64().expect("inDays");
                let expires_at = (now() + time::Duration::days(days)).format(&Rfc3339).expect("a time");
                let points = json!({"customerId": customer["enroll"]["customerId"], "points": expiring["points"],
                    "reason": "spring promotion", "expiresAt": expires_at});
                assert_eq!(self.post(&shop.key, "/api/external/add-points", points).await.status, 200);
            }
        }
        shop
    }

    /// The storefront page of the shop, as `customer` (logged out with `None`).
    pub fn storefront(&self, shop: &TestShop, customer: Option<u64>) -> String {
        let who = customer.map(|id| format!("?customer={id}")).unwrap_or_default();
        format!("{}/shops/{}/storefront{who}", self.emulator, shop.domain)
    }

    /// A call to the customer portal as a shopper's browser makes it: to the shop's `/apps/tally/api/{path}`,
    /// which the emulator's App Proxy signs and forwards, logged in as `customer` (the storefront's session
    /// cookie). `body` makes it a POST, with `idempotency_key` if given.
    pub async fn portal(
        &self,
        shop: &TestShop,
        customer: Option<u64>,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let url = format!("{}/shops/{}/apps/tally/api/{path}", self.emulator, shop.domain);
        let mut request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        if let Some(customer) = customer {
            request = request.header("Cookie", format!("storefront_customer={customer}"));
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let route = path.split('?').next().unwrap_or(path);
        reply_as(request, Some(&format!("/loyalty/cp/api/{route}"))).await
    }

    /// A call straight to Tally's portal route with the query given, signed with `secret` as Shopify signs
    /// (the signature is left out when `secret` is `None`).
    pub async fn portal_signed(
        &self,
        path: &str,
        query: &[(&str, String)],
        secret: Option<&str>,
        body: Option<Value>,
    ) -> Reply {
        let mut params: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        if let Some(secret) = secret {
            params.push(("signature".into(), tally_api::app_proxy::sign(secret, &params)));
        }
        let query = form_urlencoded_query(&params);
        let url = format!("{}/loyalty/cp/api/{path}?{query}", self.api);
        let request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        reply_as(request, None).await
    }
}

/// The query as the App Proxy writes it: `shop`, `logged_in_customer_id`, `path_prefix` and `timestamp`
/// (now, moved by `skew` seconds).
pub fn proxy_query(shop: &str, customer: &str, skew: i64) -> Vec<(&'static str, String)> {
    let timestamp = (now().unix_timestamp() + skew).to_string();
    vec![
        ("shop", shop.to_string()),
        ("logged_in_customer_id", customer.to_string()),
        ("path_prefix", "/apps/tally".to_string()),
        ("timestamp", timestamp),
    ]
}

fn form_urlencoded_query(params: &[(String, String)]) -> String {
    let encode = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&")
}
