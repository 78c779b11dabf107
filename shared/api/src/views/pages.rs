//! Lists a client pages through: a customer's rewards, and their points activity.

use serde::Serialize;
use tally_domain::ids::{CustomerId, OrderId, RewardId};
use tally_domain::ledger::{ActivityPage, LedgerEntry, LedgerKind};
use tally_domain::loyalty::RewardPage;
use tally_domain::Time;

use super::RewardView;
use crate::cursor;

/// One change of a balance, as an export or the activity log shows it: what kind, by how many available
/// points (signed), the balance after, why, the reward and the order it concerns, and when.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LedgerEntryView {
    pub kind: LedgerKind,
    pub points: i64,
    pub balance_after: i64,
    pub reason: String,
    pub reward_id: Option<RewardId>,
    pub order_id: Option<OrderId>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: Time,
}

impl From<LedgerEntry> for LedgerEntryView {
    fn from(e: LedgerEntry) -> Self {
        LedgerEntryView {
            kind: e.kind,
            points: e.delta,
            balance_after: e.balance_after,
            reason: e.reason,
            reward_id: e.reward_id,
            order_id: e.order_id,
            created_at: e.at,
        }
    }
}

/// A page of a customer's rewards.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardPageView {
    pub customer_id: CustomerId,
    pub rewards: Vec<RewardView>,
    /// The cursor of the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl RewardPageView {
    pub fn new(page: RewardPage, shop: &str) -> Self {
        let next_cursor = page.next.map(|next| {
            cursor::encode(
                shop,
                page.customer_id,
                cursor::REWARDS,
                &[next.create_at.unix_timestamp(), next.id.get() as i64],
            )
        });
        let rewards = page.rewards.into_iter().map(RewardView::from).collect();
        RewardPageView { customer_id: page.customer_id, rewards, next_cursor }
    }
}

/// `GET /api/external/customer-activity`: a page of the customer's points activity, newest first.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ActivityView {
    pub customer_id: CustomerId,
    pub entries: Vec<LedgerEntryView>,
    /// The cursor of the next page; absent at the end.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

impl ActivityView {
    pub fn new(page: ActivityPage, shop: &str) -> Self {
        let next_cursor = page.next.map(|seq| cursor::encode(shop, page.customer_id, cursor::ACTIVITY, &[seq as i64]));
        let entries = page.entries.into_iter().map(LedgerEntryView::from).collect();
        ActivityView { customer_id: page.customer_id, entries, next_cursor }
    }
}
