//! tally-cli: Tally's admin command line. Reads `TABLE_NAME` and optional `DYNAMODB_ENDPOINT`.
//!
//!   tally-cli table create
//!   tally-cli shop create --domain D --access-token T --client-secret S [--currency USD] [--admin-url URL]
//!                         [--code-prefix TALLY-]
//!   tally-cli api-key create --shop D [--key K]
//!   tally-cli shop settings --shop D [--return-points-on-cancel B] [--auto-enroll B] [--return-points-on-expiry B]
//!   tally-cli reconcile [--shop D] [--grace-seconds 120]
//!   tally-cli expire [--shop D]
//!   tally-cli audit --shop D
//!   tally-cli review list --shop D
//!   tally-cli review resolve --shop D --customer C --reward R (--issued SHOPIFY_ID | --not-issued)

use std::collections::HashMap;
use std::process::ExitCode;

use std::time::Duration;

use tally_shared::api::views::RewardView;
use tally_shared::app::audit::audit;
use tally_shared::app::expire::expire;
use tally_shared::app::now;
use tally_shared::app::reconcile::reconcile;
use tally_shared::app::review::{self, Decision};
use tally_shared::app::settle::DEFAULT_GRACE;
use tally_shared::config::Config;
use tally_shared::domain::ids::api_key;
use tally_shared::domain::shop::Shop;
use tally_shared::store::Store;
use tally_shared::Deps;

const USAGE: &str = "usage:
  tally-cli table create
  tally-cli shop create --domain D --access-token T --client-secret S [--currency USD] [--admin-url URL] [--code-prefix P]
  tally-cli api-key create --shop D [--key K]
  tally-cli shop settings --shop D [--return-points-on-cancel B] [--auto-enroll B] [--return-points-on-expiry B]
  tally-cli reconcile [--shop D] [--grace-seconds 120]
  tally-cli expire [--shop D]
  tally-cli audit --shop D
  tally-cli review list --shop D
  tally-cli review resolve --shop D --customer C --reward R (--issued SHOPIFY_ID | --not-issued)
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
        [noun, rest @ ..] if ["reconcile", "expire", "audit"].contains(&noun.as_str()) => {
            (noun.clone(), parse_flags(rest)?)
        }
        [noun, verb, rest @ ..] => (format!("{noun} {verb}"), parse_flags(rest)?),
        _ => return Err(USAGE.into()),
    };
    let config = Config::from_env().map_err(|e| format!("{e}\n{USAGE}"))?;
    let deps = deps(&config).await?;
    let store = &deps.store;
    match command.as_str() {
        "reconcile" => {
            let grace = match flags.get("grace-seconds") {
                Some(s) => Duration::from_secs(s.parse().map_err(|_| "--grace-seconds takes a number")?),
                None => DEFAULT_GRACE,
            };
            let report = reconcile(&deps, flags.get("shop").map(String::as_str), grace).await.map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            Ok(())
        }
        "audit" => audit_shop(&deps, required(&flags, "shop")?).await,
        "expire" => {
            let report = expire(&deps, flags.get("shop").map(String::as_str), now()).await.map_err(describe)?;
            println!("{}", serde_json::to_string_pretty(&report).unwrap_or_default());
            Ok(())
        }
        "shop settings" => shop_settings(store, &flags).await,
        "review list" => {
            let rewards = store.rewards_in_review(required(&flags, "shop")?).await.map_err(describe)?;
            let rewards: Vec<RewardView> = rewards.into_iter().map(RewardView::from).collect();
            println!("{}", serde_json::to_string_pretty(&rewards).unwrap_or_default());
            Ok(())
        }
        "review resolve" => resolve_review(&deps, &flags).await,
        "table create" => store.create_table().await.map_err(describe),
        "shop create" => create_shop(store, &flags).await,
        "api-key create" => {
            let shop = required(&flags, "shop")?.to_lowercase();
            let key = flags.get("key").cloned().unwrap_or_else(api_key);
            store.add_api_key(&shop, &key, now()).await.map_err(describe)?;
            println!("{key}");
            Ok(())
        }
        _ => Err(USAGE.into()),
    }
}

async fn create_shop(store: &Store, flags: &HashMap<String, String>) -> Result<(), String> {
    let (domain, token, secret) =
        (required(flags, "domain")?, required(flags, "access-token")?, required(flags, "client-secret")?);
    let mut shop = Shop::new(domain, token, secret, now()).map_err(|e| e.to_string())?;
    if let Some(currency) = flags.get("currency") {
        shop = shop.with_currency(currency).map_err(|e| e.to_string())?;
    }
    if let Some(prefix) = flags.get("code-prefix") {
        shop = shop.with_code_prefix(prefix).map_err(|e| e.to_string())?;
    }
    if let Some(url) = flags.get("admin-url") {
        shop = shop.with_admin_url(url).map_err(|e| e.to_string())?;
    }
    store.create_shop(&shop).await.map_err(describe)?;
    eprintln!("shop {} created", shop.domain);
    Ok(())
}

/// Changes the settings given and prints them all.
async fn shop_settings(store: &Store, flags: &HashMap<String, String>) -> Result<(), String> {
    let domain = required(flags, "shop")?;
    let shop = store.get_shop(domain).await.map_err(describe)?.ok_or_else(|| format!("no shop {domain}"))?;
    let mut settings = shop.settings;
    for (flag, field) in [
        ("return-points-on-cancel", &mut settings.return_points_on_cancel),
        ("auto-enroll", &mut settings.auto_enroll),
        ("return-points-on-expiry", &mut settings.return_points_on_expiry),
    ] {
        if let Some(value) = flags.get(flag) {
            *field = value.parse().map_err(|_| format!("--{flag} takes true or false"))?;
        }
    }
    store.set_shop_settings(domain, &settings).await.map_err(describe)?;
    let printed = serde_json::json!({
        "returnPointsOnCancel": settings.return_points_on_cancel,
        "autoEnroll": settings.auto_enroll,
        "returnPointsOnExpiry": settings.return_points_on_expiry,
    });
    println!("{}", serde_json::to_string_pretty(&printed).unwrap_or_default());
    Ok(())
}

/// Prints what disagrees; fails when anything does.
async fn audit_shop(deps: &Deps, shop: &str) -> Result<(), String> {
    let report = audit(deps, shop).await.map_err(describe)?;
    for note in &report.notes {
        println!("note: {note}");
    }
    for problem in &report.problems {
        println!("PROBLEM: {problem}");
    }
    println!(
        "audit of {shop}: {} customers, {} rewards, {} ledger entries, {} Tally codes in Shopify: {}",
        report.customers,
        report.rewards,
        report.ledger_entries,
        report.codes_in_shopify,
        if report.is_clean() { "clean".to_string() } else { format!("{} problem(s)", report.problems.len()) }
    );
    if report.is_clean() {
        Ok(())
    } else {
        Err("the audit found problems".into())
    }
}

/// An operator's decision on a reward whose Shopify outcome could not be known.
async fn resolve_review(deps: &Deps, flags: &HashMap<String, String>) -> Result<(), String> {
    let shop = required(flags, "shop")?;
    let number = |name: &str| -> Result<u64, String> {
        required(flags, name)?.parse().map_err(|_| format!("--{name} takes a number"))
    };
    let decision = match (flags.get("issued"), flags.contains_key("not-issued")) {
        (Some(shopify_id), false) => Decision::Issued(shopify_id.clone()),
        (None, true) => Decision::NotIssued,
        _ => return Err("give either --issued SHOPIFY_ID or --not-issued".into()),
    };
    let settled = review::resolve(deps, shop, number("customer")?, number("reward")?, decision)
        .await
        .map_err(|e| e.to_string())?;
    println!("reward {} is now {}", settled.id, settled.status);
    Ok(())
}

fn parse_flags(args: &[String]) -> Result<HashMap<String, String>, String> {
    let mut flags = HashMap::new();
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let name = flag.strip_prefix("--").ok_or_else(|| format!("unexpected argument {flag:?}\n{USAGE}"))?;
        if name == "not-issued" {
            flags.insert(name.to_string(), String::new());
            continue;
        }
        let value = args.next().ok_or_else(|| format!("--{name} needs a value"))?;
        flags.insert(name.to_string(), value.clone());
    }
    Ok(flags)
}

fn required<'a>(flags: &'a HashMap<String, String>, name: &str) -> Result<&'a str, String> {
    flags.get(name).map(String::as_str).ok_or_else(|| format!("--{name} is required\n{USAGE}"))
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

/// Against DynamoDB Local, the functions' own client; against AWS, the full credential chain an operator
/// expects (environment, profiles, SSO, assumed roles).
async fn deps(config: &Config) -> Result<Deps, String> {
    if config.dynamodb_endpoint.is_some() {
        return Deps::new(config).map_err(|e| e.to_string());
    }
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    Ok(Deps::with_client(aws_sdk_dynamodb::Client::new(&aws), config))
}
