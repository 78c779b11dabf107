//! A reward moved in from another program: a discount code the customer holds, unused, that exists in
//! Shopify already. Its points were spent there; here it is an unused reward like any other, which the
//! jobs expire at its end and a refund gives back (to a lot that does not expire, since the lots it came
//! from are not known).

use rust_decimal::Decimal;

use super::{DeductionMode, Reward, RewardKind, RewardState};
use crate::ids::{CustomerId, RewardId, RuleId};
use crate::points::MAX_SAFE_INTEGER;
use crate::rule::RewardType;
use crate::shop::Shop;
use crate::Time;

/// What the other program says of an unused reward.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardImport {
    pub customer_id: CustomerId,
    pub rule_id: RuleId,
    pub code: String,
    pub discount_type: RewardType,
    pub discount_value: Option<Decimal>,
    pub points_redeemed: i64,
    pub created_at: Time,
    pub expires_at: Option<Time>,
    pub description: Option<String>,
}

/// Why a reward is not imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotImportable {
    #[error("store credit was credited already: there is no code to carry over")]
    StoreCredit,
    #[error("it expired at {}", crate::rfc3339(*.0))]
    Expired(Time),
    #[error("pointsRedeemed must be a whole number from 0 to {MAX_SAFE_INTEGER}")]
    Points,
    #[error("the code must be 1 to 255 characters")]
    Code,
}

/// The longest code Shopify takes.
const MAX_CODE_LENGTH: usize = 255;

impl RewardImport {
    /// The reward, unused, under an id told by when it was made and by its code (so that every run of
    /// an import gives it the same one), issued as Shopify's discount `discount_id`.
    pub fn reward(
        self,
        shop: &Shop,
        description: String,
        discount_id: String,
        now: Time,
    ) -> Result<Reward, NotImportable> {
        if self.discount_type == RewardType::StoreCredit {
            return Err(NotImportable::StoreCredit);
        }
        if let Some(end) = self.expires_at.filter(|end| *end <= now) {
            return Err(NotImportable::Expired(end));
        }
        if !(0..=MAX_SAFE_INTEGER).contains(&self.points_redeemed) {
            return Err(NotImportable::Points);
        }
        let code = self.code.trim().to_string();
        if code.is_empty() || code.chars().count() > MAX_CODE_LENGTH {
            return Err(NotImportable::Code);
        }
        let amount = (self.discount_type == RewardType::FixedAmount).then_some(self.discount_value).flatten();
        Ok(Reward {
            id: RewardId::made_at(self.created_at, code_bits(&code)),
            shop: shop.domain.clone(),
            customer_id: self.customer_id,
            point_redeem_rule_id: self.rule_id,
            description,
            discount_code: Some(code),
            discount_code_id: Some(discount_id),
            reward_type: RewardKind::DiscountCode,
            discount_type: self.discount_type,
            discount_value: self.discount_value,
            amount,
            currency: shop.currency.clone(),
            variant_id: None,
            points_redeemed: self.points_redeemed,
            deduction_mode: DeductionMode::Immediate,
            expire_date: self.expires_at,
            create_at: self.created_at,
            lots: vec![],
            version: 0,
            state: RewardState::Unused { refund: None },
            put_off: None,
        })
    }
}

/// Bits of a code for its reward's id: the same code, the same bits (Shopify's codes are
/// case-insensitive).
fn code_bits(code: &str) -> u64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(code.to_uppercase().as_bytes());
    u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
}
