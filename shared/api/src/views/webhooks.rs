//! What a webhook delivery did, as Shopify (and whoever reads the logs) is told.

use serde_json::json;
use tally_app::orders::OrderOutcome;
use tally_app::webhooks::{Enrolling, Handled, Ignored};

/// What a webhook delivery did, as Shopify (and whoever reads the logs) is told.
pub fn handled(handled: &Handled) -> serde_json::Value {
    let order = |o: &OrderOutcome| json!({"order": o.order_id, "rewardsUsed": o.rewards_used, "rewardsRefunded": o.rewards_refunded});
    match handled {
        Handled::Duplicate => json!({"duplicate": true}),
        Handled::OrderCreated(outcome) => order(outcome),
        Handled::OrderCancelled(o) => json!({"order": o.order_id, "rewardsRefunded": o.rewards_refunded}),
        Handled::CustomerCreated(Enrolling::Enrolled) => json!({"enrolled": true}),
        Handled::CustomerCreated(Enrolling::AlreadyEnrolled) => json!({"enrolled": true, "already": true}),
        Handled::CustomerCreated(Enrolling::Off) => json!({"enrolled": false, "reason": "autoEnroll is off"}),
        Handled::CustomerCreated(Enrolling::Refused(reason)) => {
            json!({"enrolled": false, "reason": reason.to_string()})
        }
        Handled::CustomerCreated(Enrolling::NotEnrolled) => json!({"enrolled": false}),
        Handled::RefundCreated(Some(o)) => json!({"order": o.order_id, "rewardsRefunded": o.rewards_refunded}),
        Handled::RefundCreated(None) => json!({"rewardsRefunded": 0, "reason": "not a full refund"}),
        Handled::Uninstalled => json!({"uninstalled": true}),
        Handled::DataRequest { held } => json!({"dataHeld": held}),
        Handled::CustomerRedacted { found } => json!({"redacted": found}),
        Handled::ShopRedactionRecorded { new } => json!({"shopDeletion": "recorded", "new": new}),
        Handled::Ignored(Ignored::Topic(topic)) => json!({"ignored": topic}),
        Handled::Ignored(Ignored::StaleUninstall) => json!({"ignored": "app/uninstalled from before the last connect"}),
        Handled::Ignored(Ignored::ShopInstalled) => json!({"ignored": "shop/redact while the app is installed"}),
        Handled::Ignored(Ignored::Stale) => json!({"ignored": "triggered longer ago than Shopify retries"}),
    }
}
