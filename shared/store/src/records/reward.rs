//! A reward's item, and the item that makes its code unique in the shop. The reward's state is kept in the
//! attributes it always was (`status`, `usedAt`, `orderId`, `refundReason`, …), so that tables written
//! before the state machine read as they did; `version` is new, and absent means 0.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use tally_app::ports::StoreError;
use tally_domain::ids::{CustomerId, OrderId, RewardId, RuleId, VariantId};
use tally_domain::order::OrderRef;
use tally_domain::reward::{
    DeductionMode, FailureReason, PutOff, Refund, RefundRequest, ReviewReason, Reward, RewardKind, RewardState,
    RewardStatus, Usage,
};
use tally_domain::rule::RewardType;
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use super::customer::LotRecord;
use super::{corrupt, Attribute};

pub const STATUS: Attribute = Attribute("status");
pub const VERSION: Attribute = Attribute("version");

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RewardRecord {
    pub id: u64,
    pub shop: String,
    pub customer_id: u64,
    pub point_redeem_rule_id: u64,
    pub description: String,
    #[serde(default)]
    pub discount_code: Option<String>,
    #[serde(default)]
    pub discount_code_id: Option<String>,
    pub status: RewardStatus,
    pub reward_type: RewardKind,
    pub discount_type: RewardType,
    #[serde(default)]
    pub discount_value: Option<Decimal>,
    #[serde(default)]
    pub amount: Option<Decimal>,
    pub currency: String,
    #[serde(default)]
    pub variant_id: Option<u64>,
    pub points_redeemed: i64,
    #[serde(default = "immediate")]
    pub deduction_mode: DeductionMode,
    #[serde(default)]
    pub points_returned: bool,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub expire_date: Option<Time>,
    #[serde(with = "time::serde::rfc3339")]
    pub create_at: Time,
    #[serde(default, with = "time::serde::rfc3339::option")]
    pub used_at: Option<Time>,
    #[serde(default)]
    pub order_id: Option<u64>,
    #[serde(default)]
    pub order_name: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refunded_at: Option<Time>,
    /// A word of `FailureReason` (text from before the words is read as the nearest).
    #[serde(default)]
    pub failure_reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_reason: Option<String>,
    /// A refund in progress: both set, or neither.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_reason: Option<String>,
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub refund_requested_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub points_taken_late: Option<i64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lots: Vec<LotRecord>,
    #[serde(default)]
    pub version: u64,
    /// A job's visit put off until then, after this many attempts (`Reward::put_off`).
    #[serde(default, with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub put_off_until: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub put_off_attempts: Option<u32>,
    /// Moved in from another program by `tally-cli import`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub imported: bool,
    /// Listed only in its redemption's journal, not yet where it stands (`Reward::journaled`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub journaled: bool,
}

fn immediate() -> DeductionMode {
    DeductionMode::Immediate
}

/// The item that makes a code unique in the shop and leads from a code to its reward.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeOwnerRecord {
    pub customer_id: u64,
    pub reward_id: u64,
}

impl CodeOwnerRecord {
    pub fn owner(&self) -> Result<(CustomerId, RewardId), StoreError> {
        let customer = CustomerId::new(self.customer_id).ok_or_else(|| corrupt("a code of customer 0"))?;
        Ok((customer, RewardId::new(self.reward_id).ok_or_else(|| corrupt("a code of reward 0"))?))
    }
}

impl From<&Reward> for RewardRecord {
    fn from(r: &Reward) -> Self {
        let usage = r.state.usage();
        let order = usage.and_then(|u| u.order.as_ref());
        let refund = r.refund_request();
        RewardRecord {
            id: r.id.get(),
            shop: r.shop.to_string(),
            customer_id: r.customer_id.get(),
            point_redeem_rule_id: r.point_redeem_rule_id.get(),
            description: r.description.clone(),
            discount_code: r.discount_code.clone(),
            discount_code_id: r.discount_code_id.clone(),
            status: r.status(),
            reward_type: r.reward_type,
            discount_type: r.discount_type,
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency.clone(),
            variant_id: r.variant_id.map(VariantId::get),
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            points_returned: r.points_returned(),
            expire_date: r.expire_date,
            create_at: r.create_at,
            used_at: usage.map(|u| u.at),
            order_id: order.map(|o| o.id.get()),
            order_name: order.map(|o| o.name.clone()),
            refunded_at: match &r.state {
                RewardState::Refunded(Refund::ByShop { at }) => *at,
                _ => None,
            },
            failure_reason: match &r.state {
                RewardState::Failed { reason } => Some(reason.as_str().into()),
                _ => None,
            },
            review_reason: r.review_reason().map(|reason| reason.as_str().into()),
            refund_reason: refund.map(|request| request.reason.clone()),
            refund_requested_at: refund.map(|request| request.at),
            points_taken_late: usage.and_then(|u| u.taken_late),
            lots: r.lots.iter().map(LotRecord::from).collect(),
            version: r.version,
            put_off_until: r.put_off.map(|put_off| put_off.until),
            put_off_attempts: r.put_off.map(|put_off| put_off.attempts),
            imported: r.imported,
            journaled: r.journaled,
        }
    }
}

/// A failure reason as stored: a word, or the prose of before.
fn failure(stored: Option<&str>) -> FailureReason {
    let text = stored.unwrap_or_default();
    FailureReason::parse(text).unwrap_or(if text.starts_with("Shopify unavailable") {
        FailureReason::ShopifyUnavailable
    } else if text.contains("never created") {
        FailureReason::NeverCreated
    } else if text.contains("operator") {
        FailureReason::NotIssued
    } else {
        FailureReason::ShopifyRefused
    })
}

impl RewardRecord {
    fn state(&self) -> Result<RewardState, StoreError> {
        let order = match self.order_id {
            Some(id) => {
                let id = OrderId::new(id).ok_or_else(|| corrupt("a reward used by order 0"))?;
                Some(OrderRef { id, name: self.order_name.clone().unwrap_or_else(|| id.to_string()) })
            }
            None => None,
        };
        let usage = Usage { at: self.used_at.unwrap_or(self.create_at), order, taken_late: self.points_taken_late };
        Ok(match self.status {
            RewardStatus::Pending => RewardState::Pending {
                review: self
                    .review_reason
                    .as_deref()
                    .map(|r| ReviewReason::parse(r).unwrap_or(ReviewReason::StoreCreditUnconfirmed)),
            },
            RewardStatus::Unused => RewardState::Unused {
                refund: match (&self.refund_reason, self.refund_requested_at) {
                    (Some(reason), Some(at)) => Some(RefundRequest { reason: reason.clone(), at }),
                    _ => None,
                },
            },
            RewardStatus::Used => RewardState::Used(usage),
            RewardStatus::Refunded if usage.order.is_some() => RewardState::Refunded(Refund::ByOrder(usage)),
            RewardStatus::Refunded => RewardState::Refunded(Refund::ByShop { at: self.refunded_at }),
            RewardStatus::Expired => RewardState::Expired { points_returned: self.points_returned },
            RewardStatus::Failed => RewardState::Failed { reason: failure(self.failure_reason.as_deref()) },
        })
    }
}

impl TryFrom<RewardRecord> for Reward {
    type Error = StoreError;

    fn try_from(r: RewardRecord) -> Result<Self, StoreError> {
        let state = r.state()?;
        Ok(Reward {
            id: RewardId::new(r.id).ok_or_else(|| corrupt("a reward with id 0"))?,
            shop: ShopDomain::parse(&r.shop).map_err(|e| corrupt(e.to_string()))?,
            customer_id: CustomerId::new(r.customer_id).ok_or_else(|| corrupt("a reward of customer 0"))?,
            point_redeem_rule_id: RuleId::new(r.point_redeem_rule_id).ok_or_else(|| corrupt("a reward of rule 0"))?,
            description: r.description,
            discount_code: r.discount_code,
            discount_code_id: r.discount_code_id,
            reward_type: r.reward_type,
            discount_type: r.discount_type,
            discount_value: r.discount_value,
            amount: r.amount,
            currency: r.currency,
            variant_id: r.variant_id.and_then(VariantId::new),
            points_redeemed: r.points_redeemed,
            deduction_mode: r.deduction_mode,
            expire_date: r.expire_date,
            create_at: r.create_at,
            lots: r.lots.into_iter().map(Into::into).collect(),
            version: r.version,
            state,
            put_off: r.put_off_until.map(|until| PutOff { until, attempts: r.put_off_attempts.unwrap_or(1) }),
            imported: r.imported,
            journaled: r.journaled,
        })
    }
}

#[cfg(test)]
mod tests;
