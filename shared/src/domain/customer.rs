//! Customers and their balances.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::ledger::{BalanceChange, LedgerEntry};
use super::reward::{Reward, RewardKind, RewardStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CustomerStatus {
    Active,
    Inactive,
    Excluded,
    ExcludedByCustomer,
}

/// A customer's loyalty record. Ledger entry `n` holds the balance after the customer's `n`th change,
/// so the ledger is gapless and ordered, and the newest entry always agrees with the record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Customer {
    pub customer_id: u64,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub vip_tier: Option<String>,
    pub status: CustomerStatus,
    pub available_points: i64,
    /// Points ever given to the customer.
    pub credited_points: i64,
    /// Points ever spent on rewards (net of rewards that failed or were refunded).
    pub spent_points: i64,
    /// Points held for rewards paid for when their order arrives; not available.
    #[serde(default)]
    pub reserved_points: i64,
    /// The number of balance changes so far: the `seq` of the newest ledger entry.
    pub seq: u64,
    /// Bumped by every write of the record; each write is conditioned on the version it read.
    pub version: u64,
    pub created_at: String,
    pub updated_at: String,
}

/// The body of `POST /api/external/customers`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Enrollment {
    pub customer_id: u64,
    pub email: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub vip_tier: Option<String>,
}

impl Customer {
    pub fn enrolled(enrollment: Enrollment) -> Customer {
        let now = super::rfc3339(super::now());
        Customer {
            customer_id: enrollment.customer_id,
            email: Some(enrollment.email),
            phone: enrollment.phone,
            vip_tier: enrollment.vip_tier,
            status: CustomerStatus::Active,
            available_points: 0,
            credited_points: 0,
            spent_points: 0,
            reserved_points: 0,
            seq: 0,
            version: 0,
            created_at: now.clone(),
            updated_at: now,
        }
    }

    /// The record of a customer who left the program and enrolls again; the balance is kept.
    pub fn reenrolled(&self, enrollment: Enrollment) -> Customer {
        let mut next = self.clone();
        next.status = CustomerStatus::Active;
        next.email = Some(enrollment.email);
        next.phone = enrollment.phone.or(next.phone);
        next.vip_tier = enrollment.vip_tier.or(next.vip_tier);
        next.version += 1;
        next.updated_at = super::rfc3339(super::now());
        next
    }

    /// The record after `change`, with the ledger entry that records it.
    pub fn apply(&self, change: &BalanceChange) -> (Customer, LedgerEntry) {
        let mut next = self.clone();
        next.available_points += change.available;
        next.reserved_points += change.reserved;
        next.spent_points += change.spent;
        next.credited_points += change.credited;
        next.seq += 1;
        next.version += 1;
        next.updated_at = super::rfc3339(super::now());
        let entry = LedgerEntry {
            seq: next.seq,
            customer_id: self.customer_id,
            kind: change.kind,
            delta: change.available,
            reserved_delta: change.reserved,
            balance_after: next.available_points,
            reason: change.reason.clone(),
            reward_id: change.reward_id,
            at: next.updated_at.clone(),
        };
        (next, entry)
    }
}

impl Enrollment {
    pub fn check(&mut self) -> Result<(), String> {
        if self.customer_id == 0 {
            return Err("customerId must be a Shopify customer id".into());
        }
        self.email = normalize_email(&self.email).ok_or("email must be a valid email address")?;
        if let Some(phone) = &self.phone {
            let digits = phone.strip_prefix('+').unwrap_or("");
            if !(8..=15).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err("phone must be in E.164 form, like +14155552671".into());
            }
        }
        self.vip_tier = self.vip_tier.take().map(|t| t.trim().to_string()).filter(|t| !t.is_empty());
        if self.vip_tier.as_ref().is_some_and(|t| t.chars().count() > MAX_TIER_LENGTH) {
            return Err(format!("vipTier must be at most {MAX_TIER_LENGTH} characters"));
        }
        Ok(())
    }
}

/// The longest VIP tier name.
pub const MAX_TIER_LENGTH: usize = 64;

/// Emails are matched case-insensitively; `None` when it is not an email at all.
pub fn normalize_email(email: &str) -> Option<String> {
    let email = email.trim().to_lowercase();
    let (local, domain) = email.split_once('@')?;
    let plausible = !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && email.len() <= 254
        && !email.chars().any(char::is_whitespace)
        && !domain.contains('@');
    plausible.then_some(email)
}

/// Appstle's customer loyalty information, as every customer endpoint returns it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct LoyaltyView {
    pub customer_id: u64,
    pub email: Option<String>,
    pub available_points: i64,
    pub pending_points: i64,
    /// Points held for rewards whose order has not arrived yet.
    pub reserved_points: i64,
    pub credited_points: i64,
    pub spent_points: i64,
    pub spent_amount: Decimal,
    pub store_credit_balance: Decimal,
    pub currency: String,
    pub current_vip_tier: Option<String>,
    pub customer_status: CustomerStatus,
    pub create_at: String,
    pub rewards: Vec<Reward>,
}

impl LoyaltyView {
    pub fn new(customer: Customer, mut rewards: Vec<Reward>, currency: &str) -> Self {
        rewards.sort_by(|a, b| b.create_at.cmp(&a.create_at).then(b.id.cmp(&a.id)));
        let store_credit_balance = rewards
            .iter()
            .filter(|r| r.reward_type == RewardKind::StoreCredit && r.status == RewardStatus::Used)
            .filter_map(|r| r.amount)
            .fold(Decimal::new(0, 2), |total, amount| total + amount);
        LoyaltyView {
            customer_id: customer.customer_id,
            email: customer.email,
            available_points: customer.available_points,
            pending_points: 0,
            reserved_points: customer.reserved_points,
            credited_points: customer.credited_points,
            spent_points: customer.spent_points,
            spent_amount: Decimal::new(0, 2),
            store_credit_balance,
            currency: currency.to_string(),
            current_vip_tier: customer.vip_tier,
            customer_status: customer.status,
            create_at: customer.created_at,
            rewards,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_compared_without_case_and_nonsense_is_refused() {
        assert_eq!(normalize_email(" Ana@Example.COM "), Some("ana@example.com".into()));
        for bad in ["", "ana", "ana@", "@example.com", "ana@example", "a b@example.com", "a@b@example.com"] {
            assert_eq!(normalize_email(bad), None, "{bad}");
        }
    }
}
