//! What each command does.

use std::io::Read;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;
use tally_api::views::{CustomerDataView, RewardView};
use tally_app::audit::audit;
use tally_app::expire::expire;
use tally_app::ports::events::EventStore;
use tally_app::ports::store::ShopRecords;
use tally_app::ports::Store;
use tally_app::privacy;
use tally_app::reconcile::reconcile;
use tally_app::review::{self, Decision};
use tally_app::shops::{self, ChosenKeys};
use tally_app::tally;
use tally_config::{Config, Deps};
use tally_domain::ids::{CustomerId, RewardId};
use tally_domain::rfc3339;
use tally_domain::shop::{Access, Shop, ShopDomain, ShopSecrets, ShopSettings};

use crate::{
    Command, ConnectShop, CreateShop, CustomerCommand, EventsCommand, KeyCommand, ReviewCommand, Settings, ShopCommand,
    TableCommand,
};

pub async fn run(command: Command) -> Result<ExitCode, String> {
    let config = Config::from_env().map_err(|e| e.to_string())?;
    let deps = deps(&config).await?;
    let store = &deps.store;
    match command {
        Command::Table(TableCommand::Create) => store.create_table().await.map_err(describe)?,
        Command::Shop(ShopCommand::Connect(shop)) => connect_shop(&deps, shop).await?,
        Command::Shop(ShopCommand::RotateSecret { shop, client_secret }) => {
            let secret = secret(client_secret)?;
            shops::rotate_secret(&deps, &domain(&shop)?, &secret).await.map_err(describe)?;
            eprintln!("the client secret of {shop} is replaced");
        }
        Command::Customer(CustomerCommand::Export { shop, customer_id }) => {
            match privacy::export(&deps, &domain(&shop)?, customer(customer_id)?).await.map_err(describe)? {
                Some(data) => print_json(&CustomerDataView::from(data)),
                None => return Err(format!("{shop} has no customer {customer_id}")),
            }
        }
        Command::Customer(CustomerCommand::MigratePhones { shop }) => {
            let claims = store.shop(&domain(&shop)?).claim_legacy_phones().await.map_err(describe)?;
            let list = |found: &[(CustomerId, tally_domain::customer::Phone)]| {
                found.iter().map(|(id, phone)| format!("{id} {phone}")).collect::<Vec<_>>()
            };
            let printed = json!({"claimed": list(&claims.claimed), "heldByAnother": list(&claims.held_by_another)});
            println!("{}", serde_json::to_string_pretty(&printed).map_err(|e| e.to_string())?);
        }
        Command::Customer(CustomerCommand::MigrateRewards { shop }) => {
            let counted = tally::count_rewards(&deps, &domain(&shop)?).await.map_err(describe)?;
            println!("{}", json!({"counted": counted.counted, "hadTheirCount": counted.had_one}));
        }
        Command::Shop(ShopCommand::Create(shop)) => create_shop(&deps, shop).await?,
        Command::Shop(ShopCommand::Settings(settings)) => change_settings(&deps, settings).await?,
        Command::Shop(ShopCommand::MigrateSecrets) => {
            let moved = store.move_legacy_secrets().await.map_err(describe)?;
            let moved: Vec<String> = moved.iter().map(ShopDomain::to_string).collect();
            eprintln!("secrets moved to their own items: {} shop(s) {}", moved.len(), moved.join(" "));
        }
        Command::Shop(ShopCommand::List) => {
            let shops = store.shops().await.map_err(describe)?;
            let shops: Vec<_> = shops
                .iter()
                .map(|s| {
                    json!({"domain": s.domain.as_str(), "status": s.status, "currency": s.currency,
                    "codePrefix": s.code_prefix, "adminUrl": s.admin_url, "settings": settings_json(&s.settings),
                    "createdAt": rfc3339(s.created_at)})
                })
                .collect();
            print_json(&shops);
        }
        Command::ApiKey(KeyCommand::Create { shop, key }) => {
            // On a local stack (DynamoDB Local) any chosen key will do; a deployed one takes long keys only.
            let chosen = if config.dynamodb_endpoint.is_some() { ChosenKeys::Any } else { ChosenKeys::Long };
            let key = key.unwrap_or_else(|| deps.draw_api_key());
            shops::add_api_key(&deps, &domain(&shop)?, &key, chosen).await.map_err(describe)?;
            println!("{key}");
        }
        Command::ApiKey(KeyCommand::List { shop }) => {
            let keys = tally_app::ports::store::ApiKeys::keys(&store.shop(&domain(&shop)?)).await.map_err(describe)?;
            let keys: Vec<_> =
                keys.iter().map(|k| json!({"prefix": k.prefix, "createdAt": rfc3339(k.created_at)})).collect();
            print_json(&keys);
        }
        Command::ApiKey(KeyCommand::Revoke { shop, prefix }) => {
            match shops::revoke_api_key(&deps, &domain(&shop)?, &prefix).await.map_err(describe)? {
                1 => eprintln!("the key {prefix}… of {shop} is revoked"),
                0 => return Err(format!("no key of {shop} is {prefix} or starts with it")),
                n => return Err(format!("{n} keys of {shop} start with {prefix}; give more of it")),
            }
        }
        Command::Reconcile { shop, grace_seconds } => {
            let grace = Duration::from_secs(grace_seconds);
            let shop = shop.as_deref().map(domain).transpose()?;
            print_json(&reconcile(&deps, shop.as_ref(), grace, deps.now(), None).await.map_err(describe)?);
        }
        Command::Expire { shop } => {
            let shop = shop.as_deref().map(domain).transpose()?;
            print_json(&expire(&deps, shop.as_ref(), deps.now(), None).await.map_err(describe)?)
        }
        Command::Redact => print_json(&tally_app::redaction::redact(&deps, None).await.map_err(describe)?),
        Command::Audit { shop } => return audit_shop(&deps, &domain(&shop)?).await,
        Command::Import(args) => return crate::import::run(&deps, args).await,
        Command::Events(EventsCommand::DeadLetters { limit }) => {
            let letters = deps.store.dead_letters(limit).await.map_err(describe)?;
            let shown: Vec<serde_json::Value> = letters
                .iter()
                .map(|l| {
                    json!({"shop": l.shop.as_str(), "destination": l.destination.as_str(), "event": l.event_id,
                        "reason": l.dead.map(|d| d.as_str()), "attempts": l.attempts, "at": rfc3339(l.due),
                        "body": serde_json::from_str::<serde_json::Value>(&l.body).unwrap_or_default()})
                })
                .collect();
            print_json(&json!(shown));
        }
        Command::Review(ReviewCommand::List { shop }) => {
            let rewards = review::waiting(&deps, &domain(&shop)?).await.map_err(describe)?;
            print_json(&rewards.into_iter().map(RewardView::from).collect::<Vec<_>>());
        }
        Command::Review(ReviewCommand::Resolve { shop, customer: customer_id, reward, issued, not_issued: _ }) => {
            let decision = issued.map_or(Decision::NotIssued, Decision::Issued);
            let reward = RewardId::new(reward).ok_or("--reward must be a reward's id")?;
            let settled = review::resolve(&deps, &domain(&shop)?, customer(customer_id)?, reward, decision)
                .await
                .map_err(describe)?;
            println!("reward {} is now {}", settled.id, settled.status());
        }
    }
    Ok(ExitCode::SUCCESS)
}

async fn create_shop(deps: &Deps, args: CreateShop) -> Result<(), String> {
    if args.access_token == "-" && args.client_secret == "-" {
        return Err("only one secret can come from standard input; give the other in its environment variable".into());
    }
    let token = secret(args.access_token)?;
    let secrets = ShopSecrets::new(&secret(args.client_secret)?, Some(&token)).map_err(|e| e.to_string())?;
    let shop = shop(&args.domain, Access::StaticToken, &args.currency, &args.code_prefix, args.admin_url.as_deref())?;
    shops::create(deps, &shop, &secrets).await.map_err(describe)?;
    eprintln!("shop {} created", shop.domain);
    Ok(())
}

/// A shop connected again keeps its currency, code prefix and admin URL unless the flags change them.
async fn connect_shop(deps: &Deps, args: ConnectShop) -> Result<(), String> {
    let secrets = ShopSecrets::new(&secret(args.client_secret)?, None).map_err(|e| e.to_string())?;
    let access = Access::ClientCredentials { client_id: args.client_id };
    let known = deps.store.shop(&domain(&args.domain)?).get().await.map_err(describe)?;
    let currency = args.currency.or_else(|| known.as_ref().map(|s| s.currency.clone())).unwrap_or("USD".into());
    let prefix = args.code_prefix.or_else(|| known.as_ref().map(|s| s.code_prefix.clone())).unwrap_or("TALLY-".into());
    let admin_url = args.admin_url.or_else(|| known.as_ref().map(|s| s.admin_url.clone()));
    let shop = shop(&args.domain, access, &currency, &prefix, admin_url.as_deref())?;
    let connected = shops::connect(deps, &shop, &secrets, args.webhook_url.as_deref()).await.map_err(describe)?;
    eprintln!("shop {} {}", shop.domain, if connected.new { "connected" } else { "connected again" });
    match args.webhook_url {
        Some(url) => eprintln!(
            "webhooks to {url}: {} subscribed, {} already subscribed",
            connected.subscribed.len(),
            connected.already.len()
        ),
        None => eprintln!("webhooks: none subscribed (give --webhook-url, or declare them in shopify.app.toml)"),
    }
    for (topic, uri) in &connected.elsewhere {
        eprintln!("warning: {topic} is also subscribed at {uri}; delete that subscription if nothing serves it");
    }
    Ok(())
}

fn shop(domain: &str, access: Access, currency: &str, prefix: &str, admin_url: Option<&str>) -> Result<Shop, String> {
    let mut shop = Shop::new(
        domain,
        access,
        tally_domain::Time::now_utc().replace_nanosecond(0).unwrap_or(tally_domain::Time::now_utc()),
    )
    .and_then(|shop| shop.with_currency(currency))
    .and_then(|shop| shop.with_code_prefix(prefix))
    .map_err(|e| e.to_string())?;
    if let Some(url) = admin_url {
        shop = shop.with_admin_url(url).map_err(|e| e.to_string())?;
    }
    Ok(shop)
}

/// Changes the settings given and prints them all.
async fn change_settings(deps: &Deps, args: Settings) -> Result<(), String> {
    let shop =
        deps.store.shop(&domain(&args.shop)?).get().await.map_err(describe)?.ok_or(format!("no shop {}", args.shop))?;
    let mut settings = shop.settings;
    settings.return_points_on_cancel = args.return_points_on_cancel.unwrap_or(settings.return_points_on_cancel);
    settings.auto_enroll = args.auto_enroll.unwrap_or(settings.auto_enroll);
    settings.return_points_on_expiry = args.return_points_on_expiry.unwrap_or(settings.return_points_on_expiry);
    settings.expiry_notice_days = args.expiry_notice_days.unwrap_or(settings.expiry_notice_days);
    shops::change_settings(deps, &shop.domain, &settings).await.map_err(describe)?;
    match (args.klaviyo_key.as_deref().map(str::trim), args.no_klaviyo) {
        (Some(""), _) => return Err("--klaviyo-key is empty; --no-klaviyo turns Klaviyo off".into()),
        (Some(key), _) => deps.store.set_klaviyo_key(&shop.domain, Some(key)).await.map_err(describe)?,
        (None, true) => deps.store.set_klaviyo_key(&shop.domain, None).await.map_err(describe)?,
        (None, false) => {}
    }
    let klaviyo = deps.store.klaviyo_key(&shop.domain).await.map_err(describe)?.is_some();
    let mut shown = settings_json(&settings);
    shown["klaviyo"] = json!(klaviyo);
    print_json(&shown);
    Ok(())
}

fn settings_json(settings: &ShopSettings) -> serde_json::Value {
    json!({
        "returnPointsOnCancel": settings.return_points_on_cancel,
        "autoEnroll": settings.auto_enroll,
        "returnPointsOnExpiry": settings.return_points_on_expiry,
        "expiryNoticeDays": settings.expiry_notice_days,
    })
}

/// Prints what disagrees; exits 1 when anything does.
async fn audit_shop(deps: &Deps, shop: &ShopDomain) -> Result<ExitCode, String> {
    let report = audit(deps, shop).await.map_err(describe)?;
    for note in &report.notes {
        println!("note: {note}");
    }
    for problem in &report.problems {
        println!("PROBLEM: {problem}");
    }
    let verdict = if report.is_clean() { "clean".to_string() } else { format!("{} problem(s)", report.problems.len()) };
    println!(
        "audit of {shop}: {} customers, {} rewards, {} ledger entries, {} Tally codes in Shopify: {verdict}",
        report.customers, report.rewards, report.ledger_entries, report.codes_in_shopify,
    );
    Ok(if report.is_clean() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A secret as given, or read from standard input when given as `-` (so that it stays out of the
/// shell's history and the process list).
fn secret(given: String) -> Result<String, String> {
    if given != "-" {
        return Ok(given);
    }
    let mut read = String::new();
    std::io::stdin().read_to_string(&mut read).map_err(|e| format!("could not read standard input: {e}"))?;
    Ok(read.trim().to_string())
}

fn print_json(value: &impl serde::Serialize) {
    println!("{}", serde_json::to_string_pretty(value).unwrap_or_default());
}

/// What went wrong, in words; the SDK's own error is logged by the store.
fn describe(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn domain(given: &str) -> Result<ShopDomain, String> {
    ShopDomain::parse(given).map_err(|e| e.to_string())
}

fn customer(id: u64) -> Result<CustomerId, String> {
    CustomerId::new(id).ok_or_else(|| "a customer id must be a positive integer".to_string())
}

/// Against DynamoDB Local, the functions' own client; against AWS, the full credential chain an operator
/// expects (environment, profiles, SSO, assumed roles).
async fn deps(config: &Config) -> Result<Deps, String> {
    if config.dynamodb_endpoint.is_some() {
        return tally_config::deps(config).map_err(|e| e.to_string());
    }
    let aws = aws_config::defaults(aws_config::BehaviorVersion::latest()).load().await;
    Ok(tally_config::with_client(aws_sdk_dynamodb::Client::new(&aws), config))
}
