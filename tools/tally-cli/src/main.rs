//! tally-cli: Tally's admin command line. Reads `TABLE_NAME` and optional `DYNAMODB_ENDPOINT`.
//!
//!   tally-cli table create
//!   tally-cli shop create --domain D --access-token T --client-secret S [--currency USD] [--admin-url URL]
//!                         [--code-prefix TALLY-]
//!   tally-cli api-key create --shop D [--key K]

use std::collections::HashMap;
use std::process::ExitCode;

use tally_shared::config::dynamodb_client;
use tally_shared::domain::ids::api_key;
use tally_shared::domain::shop::Shop;
use tally_shared::store::Store;

const USAGE: &str = "usage:
  tally-cli table create
  tally-cli shop create --domain D --access-token T --client-secret S [--currency USD] [--admin-url URL] [--code-prefix P]
  tally-cli api-key create --shop D [--key K]
environment: TABLE_NAME (required), DYNAMODB_ENDPOINT (DynamoDB Local's URL, optional)";

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("tally-cli: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: &[String]) -> Result<(), String> {
    let (command, flags) = match args {
        [noun, verb, rest @ ..] => (format!("{noun} {verb}"), parse_flags(rest)?),
        _ => return Err(USAGE.into()),
    };
    let table =
        std::env::var("TABLE_NAME").map_err(|_| format!("TABLE_NAME must be set\n{USAGE}"))?;
    let endpoint = std::env::var("DYNAMODB_ENDPOINT")
        .ok()
        .filter(|e| !e.is_empty());
    let store = Store::new(dynamodb_client(endpoint.as_deref()).await, table);
    match command.as_str() {
        "table create" => store.create_table().await.map_err(describe),
        "shop create" => create_shop(&store, &flags).await,
        "api-key create" => {
            let shop = required(&flags, "shop")?.to_lowercase();
            let key = flags.get("key").cloned().unwrap_or_else(api_key);
            store.add_api_key(&shop, &key).await.map_err(describe)?;
            println!("{key}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

async fn create_shop(store: &Store, flags: &HashMap<String, String>) -> Result<(), String> {
    let mut shop = Shop::new(
        required(flags, "domain")?,
        required(flags, "access-token")?,
        required(flags, "client-secret")?,
    )?;
    if let Some(currency) = flags.get("currency") {
        shop = shop.with_currency(currency)?;
    }
    if let Some(prefix) = flags.get("code-prefix") {
        shop = shop.with_code_prefix(prefix)?;
    }
    if let Some(url) = flags.get("admin-url") {
        if !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err("--admin-url must be an http(s) URL".into());
        }
        shop.admin_url = url.trim_end_matches('/').to_string();
    }
    store.create_shop(&shop).await.map_err(describe)?;
    eprintln!("shop {} created", shop.domain);
    Ok(())
}

fn parse_flags(args: &[String]) -> Result<HashMap<String, String>, String> {
    let mut flags = HashMap::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let name = flag
            .strip_prefix("--")
            .ok_or_else(|| format!("unexpected argument {flag:?}\n{USAGE}"))?;
        let value = args
            .next()
            .ok_or_else(|| format!("--{name} needs a value"))?;
        flags.insert(name.to_string(), value.clone());
    }
    Ok(flags)
}

fn required<'a>(flags: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    flags
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| format!("--{name} is required\n{USAGE}"))
}

/// What went wrong, in words; the SDK's own error is logged by the store.
fn describe(e: tally_shared::TallyError) -> String {
    match e {
        tally_shared::TallyError::Internal(source) => {
            format!("{}: {source}", "DynamoDB call failed")
        }
        other => other.to_string(),
    }
}
