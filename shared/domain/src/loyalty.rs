//! A customer's loyalty information: the balance and the rewards, as every customer endpoint tells it.

use rust_decimal::Decimal;

use super::customer::{Customer, RewardTally};
use super::ids::{CustomerId, RewardId};
use super::lots::Lot;
use super::reward::{Reward, RewardKind, RewardStatus};
use super::Time;

/// How many rewards the loyalty information carries: the most recent. The rest are paged by
/// `GET /api/external/customer-rewards`.
pub const LATEST_REWARDS: usize = 50;

#[derive(Debug, Clone, PartialEq)]
pub struct Loyalty {
    pub customer: Customer,
    /// When the information holds: what the customer can spend depends on the time.
    pub as_of: Time,
    /// The most recent `LATEST_REWARDS`, newest first.
    pub rewards: Vec<Reward>,
    /// How many rewards the customer has in all.
    pub rewards_count: usize,
    /// What the customer's store credit rewards delivered.
    pub store_credit_balance: Decimal,
    pub currency: String,
}

impl Loyalty {
    /// The information of `customer` with `rewards`: the newest of them at least (every one, for a record
    /// that keeps no `RewardTally`, which they are counted from).
    pub fn new(customer: Customer, mut rewards: Vec<Reward>, currency: &str, as_of: Time) -> Loyalty {
        newest_first(&mut rewards);
        // Delivered store credit: the tally's, less the credit still pending (among the newest rewards, where
        // a pending one is); or, without a tally, the store credit rewards used.
        let credit = |status| store_credit(&rewards, |r: &Reward| r.status() == status);
        let (rewards_count, store_credit_balance) = match customer.rewards {
            Some(tally) => (tally.count as usize, tally.store_credit - credit(RewardStatus::Pending)),
            None => (rewards.len(), credit(RewardStatus::Used)),
        };
        rewards.truncate(LATEST_REWARDS);
        Loyalty { customer, as_of, rewards, rewards_count, store_credit_balance, currency: currency.into() }
    }

    /// The points the customer can spend now.
    pub fn available_points(&self) -> i64 {
        self.customer.available_at(self.as_of)
    }

    /// The next lot to expire, if any lot expires after now.
    pub fn next_expiring(&self) -> Option<Lot> {
        self.customer.next_expiring(self.as_of)
    }
}

/// Where a page of rewards ends: the last reward given, by its time and id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RewardPosition {
    pub create_at: Time,
    pub id: RewardId,
}

/// A page of a customer's rewards, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct RewardPage {
    pub customer_id: CustomerId,
    pub rewards: Vec<Reward>,
    /// Where the next page starts; `None` at the end.
    pub next: Option<RewardPosition>,
}

impl RewardPage {
    /// The page of `rewards` (any order) after `after`, of at most `limit`, keeping those `wanted` says.
    pub fn of(
        customer_id: CustomerId,
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

/// What `rewards`, every reward of a customer, come to.
pub fn tally_of(rewards: &[Reward]) -> RewardTally {
    RewardTally {
        count: rewards.len() as u64,
        store_credit: counted_store_credit(rewards),
        unordered: rewards.iter().filter(|r| !r.id.tells(r.create_at)).count() as u64,
    }
}

/// The store credit of every reward that is not `FAILED` (credited, or being credited), as `RewardTally`
/// counts it.
pub fn counted_store_credit(rewards: &[Reward]) -> Decimal {
    store_credit(rewards, |r| r.status() != RewardStatus::Failed)
}

fn store_credit(rewards: &[Reward], counted: impl Fn(&Reward) -> bool) -> Decimal {
    let credit = rewards.iter().filter(|r| r.reward_type == RewardKind::StoreCredit && counted(r));
    credit.filter_map(|r| r.amount).fold(Decimal::new(0, 2), |total, amount| total + amount)
}

fn newest_first(rewards: &mut [Reward]) {
    rewards.sort_by(|a, b| b.create_at.cmp(&a.create_at).then(b.id.cmp(&a.id)));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::customer::Enrollment;
    use crate::reward::{DeductionMode, RewardState, Usage};
    use crate::rule::{CombinesWith, Priced, RedeemRule, RewardType, RuleStatus};
    use crate::shop::{Access, Shop};
    use rust_decimal::Decimal;

    fn reward(kind: RewardType, status: RewardStatus, at: i64, id: u64) -> Reward {
        let shop = Shop::new("s.myshopify.com", Access::StaticToken, Time::UNIX_EPOCH).unwrap();
        let rule = RedeemRule {
            id: crate::ids::RuleId::new(1).unwrap(),
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
        let drawn = (RewardId::from_entropy(id), "C".into());
        let customer = CustomerId::new(1).unwrap();
        let pending =
            Reward::pending(&shop, customer, &rule, &Priced::at_cost(&rule), None, DeductionMode::Immediate, at, drawn);
        let state = match status {
            RewardStatus::Pending => RewardState::Pending { review: None },
            RewardStatus::Used => RewardState::Used(Usage { at, order: None, taken_late: None }),
            RewardStatus::Failed => RewardState::Failed { reason: crate::reward::FailureReason::ShopifyRefused },
            _ => RewardState::Unused { refund: None },
        };
        Reward { state, ..pending }
    }

    #[test]
    fn newest_rewards_come_first_and_only_delivered_credit_counts() {
        let enrolled = Enrollment::new(1, "a@b.co", None, None, None).unwrap().apply(None, Time::UNIX_EPOCH).unwrap().0;
        let rewards = vec![
            reward(RewardType::StoreCredit, RewardStatus::Used, 10, 1),
            reward(RewardType::StoreCredit, RewardStatus::Failed, 30, 2),
            reward(RewardType::FixedAmount, RewardStatus::Unused, 20, 3),
            reward(RewardType::StoreCredit, RewardStatus::Used, 40, 4),
        ];
        // A record saved before it kept a tally: counted from every reward.
        let untallied = Customer { rewards: None, ..enrolled.clone() };
        let loyalty = Loyalty::new(untallied, rewards.clone(), "USD", Time::UNIX_EPOCH);
        let order: Vec<i64> = loyalty.rewards.iter().map(|r| r.create_at.unix_timestamp()).collect();
        assert_eq!(order, [40, 30, 20, 10]);
        assert_eq!((loyalty.rewards_count, loyalty.store_credit_balance.to_string().as_str()), (4, "5.00"));
        // A record with its tally: what it says, less the credit still pending among the newest rewards.
        let tally = RewardTally { count: 60, store_credit: Decimal::new(1500, 2), unordered: 0 };
        let mut newest = rewards;
        newest.push(reward(RewardType::StoreCredit, RewardStatus::Pending, 50, 5));
        let loyalty = Loyalty::new(Customer { rewards: Some(tally), ..enrolled }, newest, "USD", Time::UNIX_EPOCH);
        assert_eq!((loyalty.rewards_count, loyalty.store_credit_balance.to_string().as_str()), (60, "12.50"));
    }

    #[test]
    fn pages_walk_every_reward_once_newest_first() {
        let rewards: Vec<Reward> = (0..7)
            .map(|i| reward(RewardType::FixedAmount, RewardStatus::Unused, 100 + (i % 3), i as u64 + 1))
            .collect();
        let customer = CustomerId::new(1).unwrap();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let page = RewardPage::of(customer, rewards.clone(), |_| true, after, 3);
            seen.extend(page.rewards.iter().map(|r| (r.create_at, r.id)));
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        let mut expected: Vec<_> = rewards.iter().map(|r| (r.create_at, r.id)).collect();
        expected.sort_by(|a, b| b.cmp(a));
        assert_eq!(seen, expected, "every reward once, newest first, ties broken by id");
        let used_only = RewardPage::of(customer, rewards, |r| r.status() == RewardStatus::Used, None, 3);
        assert!(used_only.rewards.is_empty() && used_only.next.is_none());
    }
}
