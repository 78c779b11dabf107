//! The UI extensions' side of the stack: session tokens as Shopify's extension sandbox gets them, and calls
//! to `/api/extension/…` as an extension makes them.

use serde_json::{json, Value};

use crate::{now, reply_as, Reply, Stack, TestShop};

/// The origin of Shopify's extension sandbox, which the calls come from.
pub const SANDBOX: &str = tally_api::cors::SANDBOX_ORIGIN;

/// The claims of a token Shopify gives the demo app's extension for `customer` (a guest's with `None`) in
/// `shop`, alive for five minutes.
pub fn claims(shop: &TestShop, customer: Option<u64>) -> Value {
    let now = now().unix_timestamp();
    let mut claims = json!({"iss": format!("https://{}/admin", shop.domain), "dest": format!("https://{}", shop.domain),
        "aud": "demo_client_id", "exp": now + 300, "nbf": now - 1, "iat": now - 1,
        "jti": format!("jti-{now}-{}", customer.unwrap_or(0)), "sid": "session"});
    if let Some(customer) = customer {
        claims["sub"] = json!(format!("gid://shopify/Customer/{customer}"));
    }
    claims
}

/// A token signed with the demo shop's client secret.
pub fn token(shop: &TestShop, customer: Option<u64>) -> String {
    tally_api::session_token::sign("secret", &claims(shop, customer))
}

impl Stack {
    /// Writes the metafield Tally's events keep on a customer of the demo shop (`$app:tally.loyalty`), as the
    /// demo app: what the extensions and the widget paint first.
    pub async fn keep_standing(&self, shop: &TestShop, customer: u64, balance: i64) {
        let base = format!("{}/shops/{}/admin", self.emulator, shop.domain);
        let form = "grant_type=client_credentials&client_id=demo_client_id&client_secret=secret";
        let granted = self.http.post(format!("{base}/oauth/access_token")).body(form);
        let granted = granted.header("Content-Type", "application/x-www-form-urlencoded").send().await.unwrap();
        let token: Value = granted.json().await.unwrap();
        let set =
            "mutation Set($m: [MetafieldsSetInput!]!) { metafieldsSet(metafields: $m) { userErrors { message } } }";
        let standing = json!({"balance": balance, "nextExpiry": null, "version": 3}).to_string();
        let metafield = json!({"ownerId": format!("gid://shopify/Customer/{customer}"), "namespace": "$app:tally",
            "key": "loyalty", "type": "json", "value": standing});
        let call = self.http.post(format!("{base}/api/2026-10/graphql.json"));
        let call = call.header("X-Shopify-Access-Token", token["access_token"].as_str().expect("a token"));
        let body = json!({"query": set, "variables": {"m": [metafield]}});
        let answer: Value = call.json(&body).send().await.unwrap().json().await.unwrap();
        assert_eq!(answer["data"]["metafieldsSet"]["userErrors"], json!([]), "{answer}");
    }

    /// An extension's call to `/api/extension/{path}` with `token` as its bearer; `body` makes it a POST,
    /// with `idempotency_key` if given.
    pub async fn extension(
        &self,
        token: Option<&str>,
        path: &str,
        body: Option<Value>,
        idempotency_key: Option<&str>,
    ) -> Reply {
        let url = format!("{}/api/extension/{path}", self.api);
        let mut request = match body {
            Some(body) => self.http.post(url).json(&body),
            None => self.http.get(url),
        };
        request = request.header("Origin", SANDBOX);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let route = path.split('?').next().unwrap_or(path);
        reply_as(request, Some(&format!("/api/extension/{route}"))).await
    }
}
