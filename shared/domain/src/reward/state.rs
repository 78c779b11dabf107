//! Where a reward stands: one state per status, each carrying only what that status has.

use crate::order::OrderRef;
use crate::{vocabulary, Time};

vocabulary! {
    pub enum RewardStatus {
        /// Points taken; Shopify has not confirmed the reward yet.
        Pending = "PENDING",
        Unused = "UNUSED",
        Used = "USED",
        Refunded = "REFUNDED",
        Expired = "EXPIRED",
        /// Shopify refused or could not be reached; the points were given back.
        Failed = "FAILED",
    }
}

vocabulary! {
    /// Why Shopify never issued a reward (its points went back). Shopify's own words stay in the logs.
    pub enum FailureReason {
        /// Shopify answered and refused the discount or the credit.
        ShopifyRefused = "SHOPIFY_REFUSED",
        /// Shopify could not be reached, or kept throttling, for as long as the request could wait.
        ShopifyUnavailable = "SHOPIFY_UNAVAILABLE",
        /// Reconciliation found no discount with the reward's code in Shopify.
        NeverCreated = "NEVER_CREATED",
        /// The code was taken by a discount Shopify could not find.
        CodeTaken = "CODE_TAKEN",
        /// The rule gave the reward no amount to credit.
        NoAmount = "NO_AMOUNT",
        /// An operator found that Shopify did not issue it.
        NotIssued = "NOT_ISSUED",
    }
}

vocabulary! {
    /// Why an operator must decide whether Shopify issued a pending reward.
    pub enum ReviewReason {
        /// Store credit was sent, and Shopify's answer lost: sending it again could credit twice.
        StoreCreditUnconfirmed = "STORE_CREDIT_UNCONFIRMED",
    }
}

impl FailureReason {
    /// The reason as the ledger tells it, for the entry that gives the points back.
    pub fn ledger_reason(self) -> &'static str {
        match self {
            FailureReason::ShopifyRefused => "Shopify refused the reward",
            FailureReason::ShopifyUnavailable => "Shopify could not be reached",
            FailureReason::NeverCreated => "the discount was never created in Shopify",
            FailureReason::CodeTaken => "the code was taken in Shopify",
            FailureReason::NoAmount => "the rule has no amount to credit",
            FailureReason::NotIssued => "an operator found it was not issued in Shopify",
        }
    }
}

/// A reward's state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RewardState {
    /// Points taken, waiting for Shopify; `review` when only an operator can tell what Shopify did.
    Pending {
        review: Option<ReviewReason>,
    },
    /// Issued, its code not used; `refund` while the shop takes it back.
    Unused {
        refund: Option<RefundRequest>,
    },
    Used(Usage),
    Refunded(Refund),
    /// Past its end unused; `points_returned` when its points (or reservation) came back.
    Expired {
        points_returned: bool,
    },
    Failed {
        reason: FailureReason,
    },
}

/// How a reward was used: by an order's code, or, for store credit, by being delivered (`order` absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    pub at: Time,
    pub order: Option<OrderRef>,
    /// Points taken again from the balance when the order came after the reward's points had gone back
    /// (a refund or an expiry raced the order); fewer than the reward's cost when the balance no longer
    /// covered them.
    pub taken_late: Option<i64>,
}

/// How a reward came to be refunded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refund {
    /// The shop took it back unused (`at`: when; absent on rewards refunded before it was kept).
    ByShop { at: Option<Time> },
    /// The order that used it was cancelled or refunded in full.
    ByOrder(Usage),
}

/// The shop's request to take a reward back, while it is carried out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub reason: String,
    pub at: Time,
}

impl RewardState {
    pub fn status(&self) -> RewardStatus {
        match self {
            RewardState::Pending { .. } => RewardStatus::Pending,
            RewardState::Unused { .. } => RewardStatus::Unused,
            RewardState::Used(_) => RewardStatus::Used,
            RewardState::Refunded(_) => RewardStatus::Refunded,
            RewardState::Expired { .. } => RewardStatus::Expired,
            RewardState::Failed { .. } => RewardStatus::Failed,
        }
    }

    /// Whether the reward's points went back to the customer (failed, refunded, or expired with its points).
    pub fn points_returned(&self) -> bool {
        match self {
            RewardState::Refunded(_) | RewardState::Failed { .. } => true,
            RewardState::Expired { points_returned } => *points_returned,
            _ => false,
        }
    }

    /// How the reward was used, if it was (a refunded order's use included).
    pub fn usage(&self) -> Option<&Usage> {
        match self {
            RewardState::Used(usage) | RewardState::Refunded(Refund::ByOrder(usage)) => Some(usage),
            _ => None,
        }
    }
}
