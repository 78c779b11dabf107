//! Configuration, read once at start-up, and the clients every handler shares.

use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};

use crate::shopify::{ShopifyHttp, ShopifyTimeouts};
use crate::store::Store;

/// What a handler needs: built once per process, borrowed by every request.
#[derive(Clone, Debug)]
pub struct Deps {
    pub store: Store,
    pub shopify: ShopifyHttp,
}

/// Settings from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub table_name: String,
    /// DynamoDB Local's URL; unset in AWS.
    pub dynamodb_endpoint: Option<String>,
    pub shopify: ShopifyTimeouts,
}

impl Config {
    pub fn from_env() -> Result<Config, String> {
        let table_name = std::env::var("TABLE_NAME").map_err(|_| "TABLE_NAME must be set".to_string())?;
        let dynamodb_endpoint = std::env::var("DYNAMODB_ENDPOINT").ok().filter(|v| !v.is_empty());
        let millis = |name: &str, default: Duration| -> Result<Duration, String> {
            match std::env::var(name) {
                Ok(v) => v.parse().map(Duration::from_millis).map_err(|_| format!("{name} must be milliseconds")),
                Err(_) => Ok(default),
            }
        };
        let defaults = ShopifyTimeouts::default();
        let shopify = ShopifyTimeouts {
            request: millis("SHOPIFY_TIMEOUT_MS", defaults.request)?,
            budget: millis("SHOPIFY_BUDGET_MS", defaults.budget)?,
        };
        Ok(Config { table_name, dynamodb_endpoint, shopify })
    }
}

impl Deps {
    pub async fn from_env() -> Result<Deps, lambda_http::Error> {
        Deps::new(&Config::from_env()?).await
    }

    pub async fn new(config: &Config) -> Result<Deps, lambda_http::Error> {
        let client = dynamodb_client(config.dynamodb_endpoint.as_deref()).await;
        Ok(Deps { store: Store::new(client, &config.table_name), shopify: ShopifyHttp::new(config.shopify)? })
    }
}

/// A DynamoDB client: AWS's default chain in Lambda, fixed local credentials against DynamoDB Local.
pub async fn dynamodb_client(endpoint: Option<&str>) -> aws_sdk_dynamodb::Client {
    let mut loader = aws_config::defaults(BehaviorVersion::latest());
    if let Some(endpoint) = endpoint {
        loader = loader.endpoint_url(endpoint).region(Region::new("us-east-1")).credentials_provider(Credentials::new(
            "local",
            "local",
            None,
            None,
            "dynamodb-local",
        ));
    }
    aws_sdk_dynamodb::Client::new(&loader.load().await)
}
