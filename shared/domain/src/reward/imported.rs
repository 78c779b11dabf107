//! A reward moved in from another program: a discount code the customer holds, unused, that exists in
//! Shopify already. Its points were spent there; here it is an unused reward like any other, which the
//! jobs expire at its end and a refund gives back (to a lot that does not expire, since the lots it came
//! from are not known).

use rust_decimal::Decimal;

use super::{DeductionMode, Reward, RewardKind, RewardState};
use crate::ids::{CustomerId, RewardId, RuleId};
use crate::points::MAX_SAFE_INTEGER;
use crate::rule::{RewardType, RuleAlias};
use crate::shop::Shop;
use crate::Time;

/// The rule a reward was redeemed for, as the other program named it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleNamed {
    Id(RuleId),
    /// The other program's text id, which an import of its rules made an alias.
    Alias(RuleAlias),
}

/// What the other program says of an unused reward.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardImport {
    pub customer_id: CustomerId,
    pub rule: RuleNamed,
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
    #[error("createAt {} is in the future", crate::rfc3339(*.0))]
    MadeLater(Time),
    #[error("pointsRedeemed must be a whole number from 0 to {MAX_SAFE_INTEGER}")]
    Points,
    #[error("the code must be 1 to {MAX_CODE_LENGTH} characters")]
    Code,
    #[error("the description must be at most {MAX_DESCRIPTION_LENGTH} characters")]
    Description,
    #[error("discountValue must be a positive amount, and a percentage at most 100")]
    Value,
}

/// The longest code Shopify takes.
const MAX_CODE_LENGTH: usize = 255;
/// The longest description kept, as a rule's name.
const MAX_DESCRIPTION_LENGTH: usize = 255;

impl RewardImport {
    /// Whether Tally can hold the reward as it is described, before anything is asked of the store or
    /// Shopify.
    pub fn check(&self, now: Time) -> Result<(), NotImportable> {
        if self.discount_type == RewardType::StoreCredit {
            return Err(NotImportable::StoreCredit);
        }
        if let Some(end) = self.expires_at.filter(|end| *end <= now) {
            return Err(NotImportable::Expired(end));
        }
        if self.created_at > now {
            return Err(NotImportable::MadeLater(self.created_at));
        }
        if !(0..=MAX_SAFE_INTEGER).contains(&self.points_redeemed) {
            return Err(NotImportable::Points);
        }
        let code = self.code.trim();
        if code.is_empty() || code.chars().count() > MAX_CODE_LENGTH {
            return Err(NotImportable::Code);
        }
        if self.description.as_ref().is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_LENGTH) {
            return Err(NotImportable::Description);
        }
        let percent = self.discount_type == RewardType::Percentage;
        match self.discount_value {
            Some(v) if v <= Decimal::ZERO || (percent && v > Decimal::ONE_HUNDRED) => Err(NotImportable::Value),
            _ => Ok(()),
        }
    }

    /// The reward, unused, for rule `rule_id`, issued as Shopify's discount `discount_id`, under an id told
    /// by when it was made and by its code (`attempt` gives another, should that one be taken).
    pub fn reward(
        self,
        shop: &Shop,
        rule_id: RuleId,
        description: String,
        discount_id: String,
        (now, attempt): (Time, u64),
    ) -> Result<Reward, NotImportable> {
        self.check(now)?;
        let code = self.code.trim().to_string();
        let amount = (self.discount_type == RewardType::FixedAmount).then_some(self.discount_value).flatten();
        Ok(Reward {
            id: RewardId::made_at(self.created_at, code_bits(&code, attempt)),
            shop: shop.domain.clone(),
            customer_id: self.customer_id,
            point_redeem_rule_id: rule_id,
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
            imported: true,
            journaled: false,
        })
    }
}

/// Bits of a code for its reward's id: the same code, the same bits (Shopify's codes are
/// case-insensitive), and others for each further `attempt`.
fn code_bits(code: &str, attempt: u64) -> u64 {
    use sha2::{Digest, Sha256};
    let digest =
        Sha256::new().chain_update(code.to_uppercase().as_bytes()).chain_update(attempt.to_be_bytes()).finalize();
    u64::from_be_bytes(digest[..8].try_into().unwrap_or_default())
}
