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
    pub fn from_env() -> Result<Deps, lambda_http::Error> {
        Deps::new(&Config::from_env()?)
    }

    pub fn new(config: &Config) -> Result<Deps, lambda_http::Error> {
        Ok(Deps::with_client(dynamodb_client(config.dynamodb_endpoint.as_deref())?, config))
    }

    /// With a DynamoDB client built elsewhere (the CLI uses AWS's full credential chain).
    pub fn with_client(client: aws_sdk_dynamodb::Client, config: &Config) -> Deps {
        Deps { store: Store::new(client, &config.table_name), shopify: ShopifyHttp::new(config.shopify) }
    }
}

/// A DynamoDB client from what Lambda puts in the environment (`AWS_REGION` and the function role's
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, fixed for the life of the process), or
/// fixed local credentials against DynamoDB Local. No profile files, no credential chain: nothing to read or
/// call at start-up, and no STS or SSO client in the binary.
pub fn dynamodb_client(endpoint: Option<&str>) -> Result<aws_sdk_dynamodb::Client, String> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
    let builder = aws_sdk_dynamodb::Config::builder().behavior_version(BehaviorVersion::latest());
    let builder = match endpoint {
        Some(endpoint) => builder
            .endpoint_url(endpoint)
            .region(Region::new("us-east-1"))
            .credentials_provider(Credentials::new("local", "local", None, None, "dynamodb-local")),
        None => {
            let region = var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or("AWS_REGION must be set")?;
            let key = var("AWS_ACCESS_KEY_ID").ok_or("AWS_ACCESS_KEY_ID must be set")?;
            let secret = var("AWS_SECRET_ACCESS_KEY").ok_or("AWS_SECRET_ACCESS_KEY must be set")?;
            let credentials = Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment");
            builder.region(Region::new(region)).credentials_provider(credentials)
        }
    };
    Ok(aws_sdk_dynamodb::Client::from_conf(builder.build()))
}
