//! What a write did, as an idempotency key records it: enough to answer a retry without doing it again.

use std::fmt;
use std::str::FromStr;

use super::customer::Enrolled;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// A reward was created (its points taken).
    Reward { customer_id: u64, reward_id: u64 },
    /// A customer's balance was adjusted.
    Balance { customer_id: u64 },
    /// A customer was enrolled, or came back.
    Customer { customer_id: u64, outcome: Enrolled },
    /// A rule was created or replaced.
    Rule { id: u64 },
    /// A rule was deleted.
    RuleDeleted { id: u64 },
    /// An unused reward was refunded (its points returned).
    Refund { customer_id: u64, reward_id: u64 },
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
        }
    }
}

impl FromStr for Effect {
    type Err = UnknownEffect;

    fn from_str(s: &str) -> Result<Effect, UnknownEffect> {
        let parts: Vec<&str> = s.split(':').collect();
        let number = |i: usize| parts.get(i).and_then(|p| p.parse().ok()).ok_or_else(|| UnknownEffect(s.into()));
        match parts[0] {
            "reward" => Ok(Effect::Reward { customer_id: number(1)?, reward_id: number(2)? }),
            "balance" => Ok(Effect::Balance { customer_id: number(1)? }),
            "customer" => {
                let outcome = match parts.get(2) {
                    None => Enrolled::New,
                    Some(&"rejoined") => Enrolled::Reactivated,
                    Some(_) => return Err(UnknownEffect(s.into())),
                };
                Ok(Effect::Customer { customer_id: number(1)?, outcome })
            }
            "rule" => Ok(Effect::Rule { id: number(1)? }),
            "deleted-rule" => Ok(Effect::RuleDeleted { id: number(1)? }),
            "refund" => Ok(Effect::Refund { customer_id: number(1)?, reward_id: number(2)? }),
            _ => Err(UnknownEffect(s.into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn effects_read_back_as_written() {
        for effect in [
            Effect::Reward { customer_id: 7, reward_id: 9_007_199_254_740_991 },
            Effect::Balance { customer_id: 7 },
            Effect::Customer { customer_id: 7, outcome: Enrolled::New },
            Effect::Customer { customer_id: 7, outcome: Enrolled::Reactivated },
            Effect::Rule { id: 3 },
            Effect::RuleDeleted { id: 3 },
            Effect::Refund { customer_id: 7, reward_id: 11 },
        ] {
            assert_eq!(effect.to_string().parse::<Effect>(), Ok(effect));
        }
        assert!("reward:7".parse::<Effect>().is_err());
        assert!("party:1".parse::<Effect>().is_err());
    }
}
