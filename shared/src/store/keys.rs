//! The table's key design: every item's partition and sort key is made here and nowhere else.

pub const PK: &str = "PK";
pub const SK: &str = "SK";

pub type Key = (String, String);

pub fn shop(domain: &str) -> Key {
    (format!("SHOP#{domain}"), "SHOP".into())
}

pub fn api_key(hash: &str) -> Key {
    (format!("APIKEY#{hash}"), "APIKEY".into())
}

pub fn rule(domain: &str, id: u64) -> Key {
    (format!("SHOP#{domain}"), format!("{RULE_PREFIX}{id:012}"))
}

pub const RULE_PREFIX: &str = "RULE#";

/// A customer's partition: the profile, its rewards and its ledger live together, so that the loyalty
/// view is one query and a shop's load spreads over as many partitions as it has customers.
pub fn customer_partition(domain: &str, customer_id: u64) -> String {
    format!("SHOP#{domain}#CUSTOMER#{customer_id}")
}

pub fn customer(domain: &str, customer_id: u64) -> Key {
    (customer_partition(domain, customer_id), PROFILE.into())
}

pub const PROFILE: &str = "PROFILE";

pub fn reward(domain: &str, customer_id: u64, reward_id: u64) -> Key {
    (customer_partition(domain, customer_id), format!("{REWARD_PREFIX}{reward_id}"))
}

pub const REWARD_PREFIX: &str = "REWARD#";

pub fn ledger(domain: &str, customer_id: u64, seq: u64) -> Key {
    (customer_partition(domain, customer_id), format!("{LEDGER_PREFIX}{seq:012}"))
}

pub const LEDGER_PREFIX: &str = "LEDGER#";

/// Makes an email unique in the shop and finds the customer who has it.
pub fn email(domain: &str, email: &str) -> Key {
    (format!("SHOP#{domain}#EMAIL#{email}"), "EMAIL".into())
}

/// Makes a discount code unique in the shop (codes are case-insensitive in Shopify) and finds its reward.
pub fn code(domain: &str, code: &str) -> Key {
    (format!("SHOP#{domain}#CODE#{}", code.to_uppercase()), "CODE".into())
}

/// The one secondary index, `GSI1`: sparse, it holds only the items that must be found across partitions.
pub const GSI1: &str = "GSI1";
pub const GSI1PK: &str = "GSI1PK";
pub const GSI1SK: &str = "GSI1SK";

/// Every shop, for the jobs that visit them all.
pub fn shop_listing(domain: &str) -> Key {
    ("SHOPS".into(), domain.into())
}

/// A shop's customers, for the audit: a small item of its own per customer, written once at enrollment, so
/// that a change of balance rewrites no index entry.
pub fn customer_listing(domain: &str, customer_id: u64) -> Key {
    (format!("SHOP#{domain}#CUSTOMERS"), format!("{CUSTOMER_LISTING_PREFIX}{customer_id:020}"))
}

pub const CUSTOMER_LISTING_PREFIX: &str = "CUSTOMER#";

/// A shop's rewards waiting for Shopify, oldest first, for reconciliation.
pub fn pending_listing(domain: &str, created_at: &str, reward_id: u64) -> Key {
    (format!("SHOP#{domain}"), format!("{PENDING_LISTING_PREFIX}{created_at}#{reward_id}"))
}

pub const PENDING_LISTING_PREFIX: &str = "PENDING#";

/// A shop's rewards whose outcome in Shopify an operator must decide.
pub fn review_listing(domain: &str, created_at: &str, reward_id: u64) -> Key {
    (format!("SHOP#{domain}"), format!("{REVIEW_LISTING_PREFIX}{created_at}#{reward_id}"))
}

pub const REVIEW_LISTING_PREFIX: &str = "REVIEW#";

/// An idempotency key of a shop.
pub fn idempotency(domain: &str, key: &str) -> Key {
    (format!("SHOP#{domain}#IDEMPOTENCY#{key}"), "IDEMPOTENCY".into())
}

/// A shop's unused rewards by expiry date, for the expiry job.
pub fn expiring_listing(domain: &str, expire_date: &str, reward_id: u64) -> Key {
    (format!("SHOP#{domain}"), format!("{EXPIRING_LISTING_PREFIX}{expire_date}#{reward_id}"))
}

pub const EXPIRING_LISTING_PREFIX: &str = "EXPIRES#";

/// What Tally knows of a Shopify order: that it was cancelled, for a creation that arrives after.
pub fn order(domain: &str, order_id: u64) -> Key {
    (format!("SHOP#{domain}#ORDER#{order_id}"), "ORDER".into())
}

/// A webhook delivery already handled.
pub fn webhook(domain: &str, webhook_id: &str) -> Key {
    (format!("SHOP#{domain}#WEBHOOK#{webhook_id}"), "WEBHOOK".into())
}
