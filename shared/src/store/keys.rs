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
    (
        customer_partition(domain, customer_id),
        format!("{REWARD_PREFIX}{reward_id}"),
    )
}

pub const REWARD_PREFIX: &str = "REWARD#";

pub fn ledger(domain: &str, customer_id: u64, seq: u64) -> Key {
    (
        customer_partition(domain, customer_id),
        format!("{LEDGER_PREFIX}{seq:012}"),
    )
}

pub const LEDGER_PREFIX: &str = "LEDGER#";

/// Makes an email unique in the shop and finds the customer who has it.
pub fn email(domain: &str, email: &str) -> Key {
    (format!("SHOP#{domain}#EMAIL#{email}"), "EMAIL".into())
}

/// Makes a discount code unique in the shop (codes are case-insensitive in Shopify) and finds its reward.
pub fn code(domain: &str, code: &str) -> Key {
    (
        format!("SHOP#{domain}#CODE#{}", code.to_uppercase()),
        "CODE".into(),
    )
}
