//! tally-cli: Tally's admin command line. Reads `TABLE_NAME` and optional `DYNAMODB_ENDPOINT`; `--help`
//! on any command says what it takes.

mod commands;
mod import;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// Tally's admin command line, against the table `TABLE_NAME` (DynamoDB Local at `DYNAMODB_ENDPOINT`, or
/// AWS with its usual credentials).
#[derive(Debug, Parser)]
#[command(name = "tally-cli", version)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// The table.
    #[command(subcommand)]
    Table(TableCommand),
    /// Shops: the tenants.
    #[command(subcommand)]
    Shop(ShopCommand),
    /// A shop's API keys.
    #[command(subcommand, name = "api-key")]
    ApiKey(KeyCommand),
    /// Settles rewards left pending and refunds left halfway (what the scheduled `reconcile` does).
    Reconcile {
        #[arg(long)]
        shop: Option<String>,
        /// How long a reward stays pending before it is settled.
        #[arg(long, default_value_t = 120)]
        grace_seconds: u64,
    },
    /// Ends unused rewards past their end (what the scheduled `expire` does).
    Expire {
        #[arg(long)]
        shop: Option<String>,
    },
    /// Deletes the shops `shop/redact` asked to delete (what the scheduled `redact` does).
    Redact,
    /// Checks one shop's balances, ledgers, rewards and codes; exits 1 when anything disagrees.
    Audit {
        #[arg(long)]
        shop: String,
    },
    /// Rewards whose outcome in Shopify an operator must decide.
    #[command(subcommand)]
    Review(ReviewCommand),
    /// A customer's data.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Events out (README, "Events").
    #[command(subcommand)]
    Events(EventsCommand),
    /// Moves a live program in: rules under their ids, customers with their identifiers, tier, status and
    /// balance; prints what it imported, what was there already and what it refused, and why (exit 1 when it
    /// refused any). Run it again after a crash: it does only what is missing.
    Import(import::ImportArgs),
}

#[derive(Debug, Subcommand)]
enum CustomerCommand {
    /// Prints, as JSON, everything Tally holds of the customer (for a data request).
    Export {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        customer_id: u64,
    },
    /// Claims the phones of customers saved before phones were unique, so that they are found by phone;
    /// prints those claimed and those another customer holds (run once after upgrading).
    MigratePhones {
        #[arg(long)]
        shop: String,
    },
    /// Counts the rewards of customers saved before their records kept the count, so that their loyalty
    /// information reads only their newest rewards; prints how many were counted (run once after upgrading).
    MigrateRewards {
        #[arg(long)]
        shop: String,
    },
}

#[derive(Debug, Subcommand)]
enum EventsCommand {
    /// The deliveries a destination refused, or that failed for a day, as JSON (kept 30 days).
    DeadLetters {
        #[arg(long, default_value_t = 100)]
        limit: usize,
    },
}

#[derive(Debug, Subcommand)]
enum TableCommand {
    /// Creates the table as template.yaml declares it (for local stacks).
    Create,
}

#[derive(Debug, Subcommand)]
enum ShopCommand {
    /// Connects a shop's Dev Dashboard app: proves its credentials, stores them, subscribes the webhooks.
    Connect(ConnectShop),
    /// Replaces the app's client secret, once Shopify accepts the new one.
    RotateSecret {
        #[arg(long)]
        shop: String,
        /// The new secret (or set TALLY_CLIENT_SECRET; `-` reads it from standard input).
        #[arg(long, env = "TALLY_CLIENT_SECRET", hide_env_values = true)]
        client_secret: String,
    },
    /// Connects a shop with a legacy static Admin API token (`shpat_…`).
    Create(CreateShop),
    /// Changes what the shop decides about orders, expiry and events; prints the settings.
    #[command(visible_alias = "set")]
    Settings(Settings),
    /// Every shop, with its currency and settings.
    List,
    /// Moves the secrets of shops saved before secrets had items of their own out of the shops' items
    /// (run once after upgrading; running it again does nothing).
    MigrateSecrets,
}

/// A secret comes from its flag, its environment variable, or standard input when the flag is `-`.
#[derive(Debug, Args)]
pub struct ConnectShop {
    #[arg(long)]
    domain: String,
    #[arg(long)]
    client_id: String,
    /// The app's client secret (or set TALLY_CLIENT_SECRET; `-` reads it from standard input).
    #[arg(long, env = "TALLY_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    /// The shop's currency (USD for a new shop; a shop connected again keeps its own unless given).
    #[arg(long)]
    currency: Option<String>,
    /// The base to which `/admin/...` is appended (`https://DOMAIN` for a new shop; kept unless given).
    #[arg(long)]
    admin_url: Option<String>,
    /// Where Shopify sends the webhooks: the deployed API's `/webhooks/shopify`. Without it, none are
    /// subscribed (shopify.app.toml may declare them instead).
    #[arg(long)]
    webhook_url: Option<String>,
    /// What the shop's codes start with (TALLY- for a new shop; kept unless given).
    #[arg(long)]
    code_prefix: Option<String>,
}

/// A secret comes from its flag, its environment variable, or standard input when the flag is `-`.
#[derive(Debug, Args)]
pub struct CreateShop {
    #[arg(long)]
    domain: String,
    /// The Admin API token (or set TALLY_ACCESS_TOKEN; `-` reads it from standard input).
    #[arg(long, env = "TALLY_ACCESS_TOKEN", hide_env_values = true)]
    access_token: String,
    /// The app's client secret, which signs webhooks (or set TALLY_CLIENT_SECRET; `-` reads standard input).
    #[arg(long, env = "TALLY_CLIENT_SECRET", hide_env_values = true)]
    client_secret: String,
    #[arg(long, default_value = "USD")]
    currency: String,
    /// The base to which `/admin/api/{version}/graphql.json` is appended (`https://DOMAIN` by default).
    #[arg(long)]
    admin_url: Option<String>,
    #[arg(long, default_value = "TALLY-")]
    code_prefix: String,
}

#[derive(Debug, Args)]
pub struct Settings {
    #[arg(long)]
    shop: String,
    /// A cancelled order gives back the points of the rewards it used.
    #[arg(long)]
    return_points_on_cancel: Option<bool>,
    /// Customers Shopify creates are enrolled.
    #[arg(long)]
    auto_enroll: Option<bool>,
    /// An immediate reward that expires unused gives its points back.
    #[arg(long)]
    return_points_on_expiry: Option<bool>,
    /// How many days before points expire the customer hears of it (`points.expiring_soon`); 0: never.
    #[arg(long)]
    expiry_notice_days: Option<u16>,
    /// The shop's Klaviyo private API key: events go to Klaviyo from now on (kept with the shop's secrets;
    /// read from the environment so that it stays out of the shell's history).
    #[arg(long, env = "KLAVIYO_KEY", hide_env_values = true)]
    klaviyo_key: Option<String>,
    /// Stops sending events to Klaviyo, and forgets the key.
    #[arg(long, conflicts_with = "klaviyo_key")]
    no_klaviyo: bool,
}

#[derive(Debug, Subcommand)]
enum KeyCommand {
    /// Makes a key for the shop and prints it, once (it is kept only as a hash).
    Create {
        #[arg(long)]
        shop: String,
        /// Registers this key rather than a new one (local stacks); a key of another shop is refused.
        #[arg(long)]
        key: Option<String>,
    },
    /// The shop's keys, by their first characters.
    List {
        #[arg(long)]
        shop: String,
    },
    /// Revokes the shop's key that starts with the prefix `api-key list` shows.
    Revoke {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        prefix: String,
    },
}

#[derive(Debug, Subcommand)]
enum ReviewCommand {
    /// The shop's rewards awaiting review.
    List {
        #[arg(long)]
        shop: String,
    },
    /// Settles one: it was issued in Shopify (as the given transaction), or it was not (its points go back).
    Resolve {
        #[arg(long)]
        shop: String,
        #[arg(long)]
        customer: u64,
        #[arg(long)]
        reward: u64,
        #[arg(long, conflicts_with = "not_issued", required_unless_present = "not_issued")]
        issued: Option<String>,
        #[arg(long)]
        not_issued: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match commands::run(cli.command).await {
        Ok(code) => code,
        Err(message) => {
            eprintln!("tally-cli: {message}");
            ExitCode::FAILURE
        }
    }
}
