//! A customer's loyalty information: the balance and the rewards, as every customer endpoint tells it.

use rust_decimal::Decimal;

use super::customer::Customer;
use super::reward::{Reward, RewardKind, RewardStatus};

#[derive(Debug, Clone, PartialEq)]
pub struct Loyalty {
    pub customer: Customer,
    /// Newest first.
    pub rewards: Vec<Reward>,
    /// What the customer's store credit rewards delivered.
    pub store_credit_balance: Decimal,
    pub currency: String,
}

impl Loyalty {
    pub fn new(customer: Customer, mut rewards: Vec<Reward>, currency: &str) -> Loyalty {
        rewards.sort_by(|a, b| b.create_at.cmp(&a.create_at).then(b.id.cmp(&a.id)));
        let store_credit_balance = rewards
            .iter()
            .filter(|r| r.reward_type == RewardKind::StoreCredit && r.status == RewardStatus::Used)
            .filter_map(|r| r.amount)
            .fold(Decimal::new(0, 2), |total, amount| total + amount);
        Loyalty { customer, rewards, store_credit_balance, currency: currency.into() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Enrollment;
    use crate::domain::reward::DeductionMode;
    use crate::domain::rule::{CombinesWith, RedeemRule, RewardType, RuleStatus};
    use crate::domain::shop::Shop;
    use crate::domain::Time;

    fn reward(kind: RewardType, status: RewardStatus, at: i64) -> Reward {
        let shop = Shop::new("s.myshopify.com", "t", "s", Time::UNIX_EPOCH).unwrap();
        let rule = RedeemRule {
            id: 1,
            name: "r".into(),
            status: RuleStatus::Active,
            reward_type: kind,
            points_cost: 10,
            discount_value: Some(Decimal::new(250, 2)),
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        };
        let at = Time::from_unix_timestamp(at).unwrap();
        Reward { status, ..Reward::pending(&shop, 1, &rule, None, DeductionMode::Immediate, at) }
    }

    #[test]
    fn newest_rewards_come_first_and_only_delivered_credit_counts() {
        let customer = Customer::enrolled(
            Enrollment { customer_id: 1, email: "a@b.co".into(), phone: None, vip_tier: None },
            Time::UNIX_EPOCH,
        );
        let rewards = vec![
            reward(RewardType::StoreCredit, RewardStatus::Used, 10),
            reward(RewardType::StoreCredit, RewardStatus::Failed, 30),
            reward(RewardType::FixedAmount, RewardStatus::Unused, 20),
            reward(RewardType::StoreCredit, RewardStatus::Used, 40),
        ];
        let loyalty = Loyalty::new(customer, rewards, "USD");
        let order: Vec<i64> = loyalty.rewards.iter().map(|r| r.create_at.unix_timestamp()).collect();
        assert_eq!(order, [40, 30, 20, 10]);
        assert_eq!(loyalty.store_credit_balance.to_string(), "5.00");
    }
}
