//! A customer's loyalty information: the balance and the rewards, as every customer endpoint tells it.

use rust_decimal::Decimal;

use super::customer::Customer;
use super::reward::{Reward, RewardKind, RewardStatus};
use super::Time;

/// How many rewards the loyalty information carries: the most recent. The rest are paged by
/// `GET /api/external/customer-rewards`.
pub const LATEST_REWARDS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Loyalty {
    pub customer: Customer,
    /// The most recent `LATEST_REWARDS`, newest first.
    pub rewards: Vec<Reward>,
    /// How many rewards the customer has in all.
    pub rewards_count: usize,
    /// What the customer's store credit rewards delivered.
    pub store_credit_balance: Decimal,
    pub currency: String,
}

impl Loyalty {
    pub fn new(customer: Customer, mut rewards: Vec<Reward>, currency: &str) -> Loyalty {
        newest_first(&mut rewards);
        let store_credit_balance = rewards
            .iter()
            .filter(|r| r.reward_type == RewardKind::StoreCredit && r.status == RewardStatus::Used)
            .filter_map(|r| r.amount)
            .fold(Decimal::new(0, 2), |total, amount| total + amount);
        let rewards_count = rewards.len();
        rewards.truncate(LATEST_REWARDS);
        Loyalty { customer, rewards, rewards_count, store_credit_balance, currency: currency.into() }
    }
}

/// Where a page of rewards ends: the last reward given, by its time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardPosition {
    pub create_at: Time,
    pub id: u64,
}

/// A page of a customer's rewards, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardPage {
    pub customer_id: u64,
    pub rewards: Vec<Reward>,
    /// Where the next page starts; `None` at the end.
    pub next: Option<RewardPosition>,
}

impl RewardPage {
    /// The page of `rewards` (any order) after `after`, of at most `limit`, keeping those `wanted` says.
    pub fn of(
        customer_id: u64,
        mut rewards: Vec<Reward>,
        wanted: impl Fn(&Reward) -> bool,
        after: Option<RewardPosition>,
        limit: usize,
    ) -> RewardPage {
        newest_first(&mut rewards);
        let older = |r: &Reward| after.is_none_or(|a| (r.create_at, r.id) < (a.create_at, a.id));
        let mut page: Vec<Reward> = rewards.into_iter().filter(|r| older(r) && wanted(r)).take(limit + 1).collect();
        let next = match page.len() > limit {
            true => {
                page.truncate(limit);
                page.last().map(|r| RewardPosition { create_at: r.create_at, id: r.id })
            }
            false => None,
        };
        RewardPage { customer_id, rewards: page, next }
    }
}

fn newest_first(rewards: &mut [Reward]) {
    rewards.sort_by(|a, b| b.create_at.cmp(&a.create_at).then(b.id.cmp(&a.id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::customer::Enrollment;
    use crate::domain::reward::DeductionMode;
    use crate::domain::rule::Priced;
    use crate::domain::rule::{CombinesWith, RedeemRule, RewardType, RuleStatus};
    use crate::domain::shop::Shop;
    use crate::domain::Time;

    fn reward(kind: RewardType, status: RewardStatus, at: i64) -> Reward {
        let shop = Shop::new("s.myshopify.com", crate::domain::shop::Access::StaticToken, Time::UNIX_EPOCH).unwrap();
        let rule = RedeemRule {
            id: 1,
            name: "r".into(),
            status: RuleStatus::Active,
            reward_type: kind,
            points_cost: 10,
            variable: None,
            discount_value: Some(Decimal::new(250, 2)),
            minimum_subtotal: None,
            expires_after_days: None,
            variant_ids: vec![],
            combines_with: CombinesWith::default(),
            vip_tier: None,
        };
        let at = Time::from_unix_timestamp(at).unwrap();
        Reward {
            status,
            ..Reward::pending(&shop, 1, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, at)
        }
    }

    #[test]
    fn newest_rewards_come_first_and_only_delivered_credit_counts() {
        let customer = Customer::enrolled(
            Enrollment { customer_id: 1, email: "a@b.co".into(), phone: None, external_id: None, vip_tier: None },
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

    #[test]
    fn pages_walk_every_reward_once_newest_first() {
        let rewards: Vec<Reward> =
            (0..7).map(|i| reward(RewardType::FixedAmount, RewardStatus::Unused, 100 + i64::from(i % 3))).collect();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = RewardPage::of(1, rewards.clone(), |_| true, after, 3);
            seen.extend(page.rewards.iter().map(|r| (r.create_at, r.id)));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut expected: Vec<_> = rewards.iter().map(|r| (r.create_at, r.id)).collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, expected, "every reward once, newest first, ties broken by id");
        let used_only = RewardPage::of(1, rewards, |r| r.status == RewardStatus::Used, None, 3);
        assert!(used_only.rewards.is_empty() && used_only.next.is_none());
    }
}
