//! What Shopify is asked to issue for a reward: one code, restricted to its customer, usable once, ending
//! with the reward, honouring the rule's minimum and combinations; or a store credit.

use rust_decimal::Decimal;

use super::{FailureReason, Reward};
use crate::ids::{CustomerId, VariantId};
use crate::rule::{CombinesWith, RedeemRule, RewardType};
use crate::Time;

/// What Shopify must create for a reward.
#[derive(Debug, Clone, PartialEq)]
pub enum Issuance {
    Discount(DiscountSpec),
    StoreCredit(StoreCreditSpec),
    /// Nothing can be issued; the reward fails for this reason.
    Impossible(FailureReason),
}

/// A code discount.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscountSpec {
    pub code: String,
    pub title: String,
    pub starts_at: Time,
    pub ends_at: Option<Time>,
    pub customer_id: CustomerId,
    pub minimum_subtotal: Option<Decimal>,
    pub combines_with: CombinesWith,
    pub value: DiscountValue,
}

/// What a discount takes off.
#[derive(Debug, Clone, PartialEq)]
pub enum DiscountValue {
    /// An amount off the order.
    AmountOff(Decimal),
    /// A share of the order, as a fraction (0.15 for 15%).
    Percentage(Decimal),
    FreeShipping,
    /// One unit of the variant: its price off, on that variant only (a 100% discount would free every unit
    /// of it in the cart).
    Product {
        variant_id: VariantId,
        amount: Decimal,
    },
}

/// A credit to the customer's store credit account, ending with the reward.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreCreditSpec {
    pub customer_id: CustomerId,
    pub amount: Decimal,
    pub currency: String,
    pub expires_at: Option<Time>,
}

impl Reward {
    /// What Shopify must issue for this reward of `rule`.
    pub fn issuance(&self, rule: &RedeemRule) -> Issuance {
        let no_amount = Issuance::Impossible(FailureReason::NoAmount);
        if self.discount_type == RewardType::StoreCredit {
            let Some(amount) = self.amount else { return no_amount };
            let currency = self.currency.clone();
            let credit =
                StoreCreditSpec { customer_id: self.customer_id, amount, currency, expires_at: self.expire_date };
            return Issuance::StoreCredit(credit);
        }
        let Some(code) = self.discount_code.clone() else { return no_amount };
        let value = match (self.discount_type, self.amount, self.variant_id, rule.discount_value) {
            (RewardType::FreeShipping, ..) => DiscountValue::FreeShipping,
            (RewardType::FixedAmount, Some(amount), ..) => DiscountValue::AmountOff(amount),
            (RewardType::Percentage, _, _, Some(percent)) => DiscountValue::Percentage(percent / Decimal::ONE_HUNDRED),
            (RewardType::FreeProduct, Some(amount), Some(variant_id), _) => {
                DiscountValue::Product { variant_id, amount }
            }
            _ => return no_amount,
        };
        Issuance::Discount(DiscountSpec {
            title: format!("{} ({code})", rule.name),
            code,
            starts_at: self.create_at,
            ends_at: self.expire_date,
            customer_id: self.customer_id,
            minimum_subtotal: rule.minimum_subtotal,
            combines_with: rule.combines_with,
            value,
        })
    }
}
