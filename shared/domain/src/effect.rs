//! What a write did, as an idempotency key records it: enough to answer a retry without doing it again.

use std::fmt;
use std::str::FromStr;

use super::customer::Enrolled;
use super::ids::{CustomerId, RewardId, RuleId};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A reward was created (its points taken).
    Reward { customer_id: CustomerId, reward_id: RewardId },
    /// A customer's balance was adjusted.
    Balance { customer_id: CustomerId },
    /// A customer was enrolled, or came back.
    Customer { customer_id: CustomerId, outcome: Enrolled },
    /// A rule was created or replaced.
    Rule { id: RuleId },
    /// A rule was deleted.
    RuleDeleted { id: RuleId },
    /// An unused reward was refunded (its points returned).
    Refund { customer_id: CustomerId, reward_id: RewardId },
    /// The shop set a reward's status by its code (Appstle's `update-discount`).
    CodeStatus { customer_id: CustomerId, reward_id: RewardId },
}

/// A recorded effect that does not read back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a recorded effect: {0:?}")]
pub struct UnknownEffect(pub String);

impl fmt::Display for Effect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Effect::Reward { customer_id, reward_id } => write!(f, "reward:{customer_id}:{reward_id}"),
            Effect::Balance { customer_id } => write!(f, "balance:{customer_id}"),
            Effect::Customer { customer_id, outcome: Enrolled::New } => write!(f, "customer:{customer_id}"),
            Effect::Customer { customer_id, outcome: Enrolled::Reactivated } => {
                write!(f, "customer:{customer_id}:rejoined")
            }
            Effect::Rule { id } => write!(f, "rule:{id}"),
            Effect::RuleDeleted { id } => write!(f, "deleted-rule:{id}"),
            Effect::Refund { customer_id, reward_id } => write!(f, "refund:{customer_id}:{reward_id}"),
            Effect::CodeStatus { customer_id, reward_id } => write!(f, "code-status:{customer_id}:{reward_id}"),
        }
    }
}

impl FromStr for Effect {
    type Err = UnknownEffect;

    fn from_str(s: &str) -> Result<Effect, UnknownEffect> {
        let parts: Vec<&str> = s.split(':').collect();
        let unknown = || UnknownEffect(s.into());
        let part = |i: usize| parts.get(i).copied().ok_or_else(unknown);
        let customer = || part(1)?.parse::<CustomerId>().map_err(|_| unknown());
        let reward = || part(2)?.parse::<RewardId>().map_err(|_| unknown());
        let rule = || part(1)?.parse::<RuleId>().map_err(|_| unknown());
        match parts[0] {
            "reward" => Ok(Effect::Reward { customer_id: customer()?, reward_id: reward()? }),
            "balance" => Ok(Effect::Balance { customer_id: customer()? }),
            "customer" => {
                let outcome = match parts.get(2) {
                    None => Enrolled::New,
                    Some(&"rejoined") => Enrolled::Reactivated,
                    Some(_) => return Err(unknown()),
                };
                Ok(Effect::Customer { customer_id: customer()?, outcome })
            }
            "rule" => Ok(Effect::Rule { id: rule()? }),
            "deleted-rule" => Ok(Effect::RuleDeleted { id: rule()? }),
            "refund" => Ok(Effect::Refund { customer_id: customer()?, reward_id: reward()? }),
            "code-status" => Ok(Effect::CodeStatus { customer_id: customer()?, reward_id: reward()? }),
            _ => Err(unknown()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_read_back_as_written() {
        let (customer_id, reward_id) = (CustomerId::new(7).unwrap(), RewardId::from_entropy(9_007_199_254_740_991));
        let id = RuleId::new(3).unwrap();
        for effect in [
            Effect::Reward { customer_id, reward_id },
            Effect::Balance { customer_id },
            Effect::Customer { customer_id, outcome: Enrolled::New },
            Effect::Customer { customer_id, outcome: Enrolled::Reactivated },
            Effect::Rule { id },
            Effect::RuleDeleted { id },
            Effect::Refund { customer_id, reward_id },
            Effect::CodeStatus { customer_id, reward_id },
        ] {
            assert_eq!(effect.to_string().parse::<Effect>(), Ok(effect));
        }
        assert!("reward:7".parse::<Effect>().is_err());
        assert!("party:1".parse::<Effect>().is_err());
        assert!("balance:0".parse::<Effect>().is_err());
    }
}
