//! The bench's stack: a table, the emulator and two API servers, a shop with a $1 rule, and customers.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::{StreamExt, TryStreamExt};
use serde_json::json;
use tally_app::ports::store::{ApiKeys, ListedKey, Rules, ShopRecords};
use tally_app::ports::Store;
use tally_config::{dynamodb_client, Config};
use tally_domain::ids::{hash_api_key, RuleId};
use tally_domain::shop::{Access, Shop, ShopSecrets};
use tally_shopify::{ShopifyHttp, ShopifyTimeouts};
use tally_store::records::from_item;
use tally_store::records::reward::RewardRecord;
use tally_store::{DynamoStore, Stream};

use crate::meter::Meter;
use crate::{Bench, Error, DOMAIN, KEY};

/// The bench shop's client secret, which signs its webhooks and App Proxy requests.
pub(crate) const SECRET: &str = "s";

/// Customer 1 redeems to warm up and for the function binaries; customers from here on redeem once each.
pub(crate) const FIRST_FRESH_CUSTOMER: u64 = 2;

/// A table, the emulator and two API servers, a shop with a $1 rule, and `fresh` customers with points.
pub(crate) async fn setup(endpoint: &str, fresh: u64) -> Result<Bench, Error> {
    let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_nanos();
    let table = format!("bench-{stamp}");
    let raw = dynamodb_client(Some(endpoint))?;
    let store = DynamoStore::new(raw.clone(), &table);
    // The bench reads no stream, and DynamoDB Local slows badly under load on a table with one (a core
    // busy with its records), which would measure DynamoDB Local rather than the request paths.
    store.create_table_with(Stream::Off).await?;
    let emulator = shopify_emulator::Emulator::new();
    let emulator_url = format!("http://{}", emulator.serve(SocketAddr::from(([127, 0, 0, 1], 0))).await?);
    let config = Config {
        table_name: table.clone(),
        dynamodb_endpoint: Some(endpoint.into()),
        shopify: ShopifyTimeouts::default(),
    };
    let deps = Arc::new(tally_config::deps(&config)?);
    let local = SocketAddr::from(([127, 0, 0, 1], 0));
    let api = format!("http://{}", local_api::serve(deps.clone(), local).await?);
    let meter = Meter::default();
    let metered = tally_app::Deps::new(
        DynamoStore::new(meter.client(&raw), &table),
        ShopifyHttp::new(ShopifyTimeouts::default()),
    );
    let metered_api = format!("http://{}", local_api::serve(Arc::new(metered), local).await?);
    let http = reqwest::Client::new();
    http.post(format!("{emulator_url}/__emulator/shops"))
        .json(&json!({"domain": DOMAIN, "accessToken": "t"}))
        .send()
        .await?;
    let shop = Shop {
        admin_url: format!("{emulator_url}/shops/{DOMAIN}"),
        ..Shop::new(DOMAIN, Access::StaticToken, deps.now())?
    };
    let table_of_shop = store.shop(&shop.domain);
    table_of_shop.create(&shop, &ShopSecrets::new(SECRET, Some("t"))?).await?;
    let key = ListedKey { hash: hash_api_key(KEY), prefix: KEY.into(), created_at: deps.now() };
    table_of_shop.add_key(&key).await?;
    let post = |path: &str, body: serde_json::Value| {
        http.post(format!("{api}{path}")).header("X-API-Key", KEY).json(&body).send()
    };
    let rule: serde_json::Value = post(
        "/api/external/point-redeem-rules",
        json!({"name": "$1 off", "rewardType": "FIXED_AMOUNT",
        "pointsCost": 1, "discountValue": "1.00", "minimumSubtotal": "10.00", "expiresAfterDays": 30}),
    )
    .await?
    .json()
    .await?;
    let rule = rule["id"].as_u64().ok_or("no rule id")?;
    let enroll = |customer: u64| async move {
        let email = format!("c{customer}@example.com");
        let enrolled = post("/api/external/customers", json!({"customerId": customer, "email": email})).await?;
        let points = json!({"customerId": customer, "points": 1_000_000_000, "reason": "bench"});
        let credited = post("/api/external/add-points", points).await?;
        match (enrolled.status().is_success(), credited.status().is_success()) {
            (true, true) => Ok(()),
            _ => Err(Error::from(format!("customer {customer} was not enrolled with points"))),
        }
    };
    futures::stream::iter(1..FIRST_FRESH_CUSTOMER + fresh).map(enroll).buffer_unordered(8).try_collect::<()>().await?;
    let stored_rule = table_of_shop.rule(RuleId::new(rule).ok_or("rule 0")?).await?.ok_or("no rule")?;
    let records = (table_of_shop.get().await?.ok_or("no shop")?, stored_rule);
    let mut bench = Bench {
        deps,
        raw,
        table,
        api,
        metered_api,
        meter,
        http,
        rule,
        items: HashMap::new(),
        records,
        reward_expiry: None,
    };
    for _ in 0..50 {
        bench.redeem(&bench.api, 1).await;
    }
    bench.items = bench.copy_items().await?;
    bench.reward_expiry = from_item::<RewardRecord>(bench.items["reward"].clone())?.expire_date;
    Ok(bench)
}
