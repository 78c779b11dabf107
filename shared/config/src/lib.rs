//! Start-up, the one place the adapters meet the use cases: settings read once from the environment, and
//! the `Deps` every function builds from them (the DynamoDB store, the Shopify client, the system clock).

use std::time::Duration;

use aws_sdk_dynamodb::config::{BehaviorVersion, Credentials, Region};
use tally_shopify::{ShopifyHttp, ShopifyTimeouts};
use tally_store::DynamoStore;
use tracing_subscriber::filter::LevelFilter;

mod aws_http;

/// What the functions run with: the use cases' dependencies over the real adapters.
pub type Deps = tally_app::Deps<DynamoStore, ShopifyHttp>;

/// Settings from the environment.
#[derive(Clone, Debug)]
pub struct Config {
    pub table_name: String,
    /// DynamoDB Local's URL; unset in AWS.
    pub dynamodb_endpoint: Option<String>,
    pub shopify: ShopifyTimeouts,
}

/// A setting that is missing or cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("{0} must be set")]
    Missing(&'static str),
    #[error("{0} must be milliseconds")]
    NotMilliseconds(&'static str),
}

impl Config {
    pub fn from_env() -> Result<Config, ConfigError> {
        let table_name = var("TABLE_NAME").ok_or(ConfigError::Missing("TABLE_NAME"))?;
        let millis = |name: &'static str, default: Duration| match var(name) {
            Some(v) => v.parse().map(Duration::from_millis).map_err(|_| ConfigError::NotMilliseconds(name)),
            None => Ok(default),
        };
        let defaults = ShopifyTimeouts::default();
        let shopify = ShopifyTimeouts {
            request: millis("SHOPIFY_TIMEOUT_MS", defaults.request)?,
            budget: millis("SHOPIFY_BUDGET_MS", defaults.budget)?,
        };
        Ok(Config { table_name, dynamodb_endpoint: var("DYNAMODB_ENDPOINT"), shopify })
    }
}

/// The functions' `Deps`, from the environment.
pub fn from_env() -> Result<Deps, ConfigError> {
    deps(&Config::from_env()?)
}

pub fn deps(config: &Config) -> Result<Deps, ConfigError> {
    Ok(with_client(dynamodb_client(config.dynamodb_endpoint.as_deref())?, config))
}

/// With a DynamoDB client built elsewhere (the CLI uses AWS's full credential chain).
pub fn with_client(client: aws_sdk_dynamodb::Client, config: &Config) -> Deps {
    Deps::new(DynamoStore::new(client, &config.table_name), ShopifyHttp::new(config.shopify))
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// A DynamoDB client from what Lambda puts in the environment (`AWS_REGION` and the function role's
/// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, fixed for the life of the process), or
/// fixed local credentials against DynamoDB Local. No profile files, no credential chain: nothing to read or
/// call at start-up, and no STS or SSO client in the binary.
pub fn dynamodb_client(endpoint: Option<&str>) -> Result<aws_sdk_dynamodb::Client, ConfigError> {
    let aws = Aws::from_env(endpoint)?;
    let mut builder = aws_sdk_dynamodb::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(aws.region)
        .credentials_provider(aws.credentials)
        .http_client(https()?);
    builder.set_endpoint_url(aws.endpoint);
    Ok(aws_sdk_dynamodb::Client::from_conf(builder.build()))
}

/// Where an AWS client calls, and as whom: Lambda's environment, or a local stand-in at `endpoint`.
struct Aws {
    region: Region,
    credentials: Credentials,
    endpoint: Option<String>,
}

impl Aws {
    fn from_env(endpoint: Option<&str>) -> Result<Aws, ConfigError> {
        if let Some(endpoint) = endpoint {
            return Ok(Aws {
                region: Region::new("us-east-1"),
                credentials: Credentials::new("local", "local", None, None, "local"),
                endpoint: Some(endpoint.to_string()),
            });
        }
        let region =
            var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")).ok_or(ConfigError::Missing("AWS_REGION"))?;
        let key = var("AWS_ACCESS_KEY_ID").ok_or(ConfigError::Missing("AWS_ACCESS_KEY_ID"))?;
        let secret = var("AWS_SECRET_ACCESS_KEY").ok_or(ConfigError::Missing("AWS_SECRET_ACCESS_KEY"))?;
        let credentials = Credentials::new(key, secret, var("AWS_SESSION_TOKEN"), None, "environment");
        Ok(Aws { region: Region::new(region), credentials, endpoint: None })
    }
}

/// The HTTPS client every AWS client here uses: tally-http's, the one Shopify's and Klaviyo's calls use.
pub fn https() -> Result<aws_sdk_dynamodb::config::SharedHttpClient, ConfigError> {
    aws_http::client().map_err(|_| ConfigError::Missing("the system's TLS roots"))
}

/// The events function's destinations besides Shopify: the bus `EVENT_BUS_NAME` (EventBridge, or its stand-in
/// at `EVENTBRIDGE_ENDPOINT`), and Klaviyo (at `KLAVIYO_URL`, Klaviyo's own by default).
pub fn outlets() -> Result<tally_outlets::Outlets, ConfigError> {
    let bus = var("EVENT_BUS_NAME").ok_or(ConfigError::Missing("EVENT_BUS_NAME"))?;
    let klaviyo_url = var("KLAVIYO_URL").unwrap_or_else(|| tally_outlets::KLAVIYO_URL.to_string());
    outlets_at(var("EVENTBRIDGE_ENDPOINT").as_deref(), &bus, &klaviyo_url)
}

/// The outlets with their settings given: the bus `bus` (at `eventbridge_endpoint`, a local stand-in, or
/// EventBridge in the environment's region), Klaviyo at `klaviyo_url`.
pub fn outlets_at(
    eventbridge_endpoint: Option<&str>,
    bus: &str,
    klaviyo_url: &str,
) -> Result<tally_outlets::Outlets, ConfigError> {
    let aws = Aws::from_env(eventbridge_endpoint)?;
    let mut builder = aws_sdk_eventbridge::Config::builder()
        .behavior_version(aws_sdk_eventbridge::config::BehaviorVersion::latest())
        .region(aws.region)
        .credentials_provider(aws.credentials)
        .http_client(https()?);
    builder.set_endpoint_url(aws.endpoint);
    let bus = tally_outlets::EventBridge::new(aws_sdk_eventbridge::Client::from_conf(builder.build()), bus);
    let klaviyo = tally_outlets::KlaviyoHttp::new(klaviyo_url).map_err(|_| ConfigError::Missing("an HTTP client"))?;
    Ok(tally_outlets::Outlets { bus, klaviyo })
}

/// Logging as Lambda's advanced logging controls ask: the level from `AWS_LAMBDA_LOG_LEVEL` (else `RUST_LOG`,
/// a level such as `warn`; `INFO` by default), JSON when `AWS_LAMBDA_LOG_FORMAT` is `JSON`, no timestamps
/// (Lambda adds them). A level, not a filter of targets: the filter's regular expressions would double the
/// size of every function.
pub fn init_logging() {
    let level = var("AWS_LAMBDA_LOG_LEVEL").or_else(|| var("RUST_LOG"));
    let level = level.and_then(|l| l.parse::<LevelFilter>().ok()).unwrap_or(LevelFilter::INFO);
    let logs = tracing_subscriber::fmt().with_target(false).without_time().with_max_level(level);
    let _ = match var("AWS_LAMBDA_LOG_FORMAT").is_some_and(|f| f.eq_ignore_ascii_case("json")) {
        true => logs.json().try_init(),
        false => logs.with_ansi(false).try_init(),
    };
}
