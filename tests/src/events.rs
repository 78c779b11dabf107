//! The events function over a test stack: the table's real stream (DynamoDB Local), read as the event source
//! mapping reads it (`local_api::stream`), sending to the emulator's EventBridge, Klaviyo and Shopify.

use std::sync::Arc;

use local_api::stream::StreamRunner;
use serde_json::Value;

use crate::{dynamodb_endpoint, Stack, TestShop};

/// The bus the tests' events go to.
pub const BUS: &str = "tally-test";

impl Stack {
    /// The events function over this stack's stream, its outlets at the emulator.
    pub fn events(&self) -> Arc<StreamRunner> {
        let outlets = tally_config::outlets_at(Some(&self.emulator), BUS, &self.emulator).expect("outlets");
        let runner = StreamRunner::new(self.deps.clone(), Arc::new(outlets), &dynamodb_endpoint(), self.store.table());
        Arc::new(runner.expect("a stream runner"))
    }

    /// Every event the bus received for the shop, its `Detail` (recorded for the contract check).
    pub async fn bus_events(&self, shop: &TestShop) -> Vec<Value> {
        let all = self.control("GET", "/__emulator/eventbridge/events", Value::Null).await;
        let mine: Vec<Value> = all
            .as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["Detail"]["shop"] == shop.domain.as_str())
            .cloned()
            .collect();
        for entry in &mine {
            assert_eq!((entry["Source"].as_str(), entry["EventBusName"].as_str()), (Some("tally"), Some(BUS)));
            assert_eq!(entry["DetailType"], entry["Detail"]["name"], "DetailType is the event's name");
            record_event(&entry["Detail"]);
        }
        mine.into_iter().map(|e| e["Detail"].clone()).collect()
    }

    /// Every event Klaviyo received with the shop's events (by their properties' shop).
    pub async fn klaviyo_events(&self, shop: &TestShop) -> Vec<Value> {
        let all = self.control("GET", "/__emulator/klaviyo/events", Value::Null).await;
        all.as_array()
            .into_iter()
            .flatten()
            .filter(|e| e["properties"]["shop"] == shop.domain.as_str())
            .cloned()
            .collect()
    }

    /// The emulator's state of the shop: its metafields and Flow triggers among the rest.
    pub async fn shopify_state(&self, shop: &TestShop) -> Value {
        self.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await
    }
}

/// With `CONTRACT_LOG` set, every event the tests saw goes there for `scripts/contract.py` to check against
/// docs/event-catalogue.json.
fn record_event(event: &Value) {
    use std::io::Write;
    let Ok(folder) = std::env::var("CONTRACT_LOG") else { return };
    let _ = std::fs::create_dir_all(&folder);
    let file = format!("{folder}/events-{}.jsonl", std::process::id());
    if let Ok(mut file) = std::fs::OpenOptions::new().create(true).append(true).open(file) {
        let _ = writeln!(file, "{event}");
    }
}
