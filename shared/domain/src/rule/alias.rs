//! A rule's alias: the id another program gave it as text (Mage's `reward_abc`), kept when the rule is
//! imported so that a client holding that id still names the same rule.

/// The longest alias kept.
pub const MAX_ALIAS_LENGTH: usize = 64;

/// Another program's id for a rule, as text: 1 to 64 letters, digits, `_`, `-`, `.` or `:`, not all
/// digits (a number is a rule id of Tally's own).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RuleAlias(String);

/// Why a text is not an alias.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a rule's id must be a whole number, or another program's id of 1 to {MAX_ALIAS_LENGTH} letters, digits, _, -, . or :")]
pub struct NotAnAlias;

impl RuleAlias {
    pub fn parse(text: &str) -> Result<RuleAlias, NotAnAlias> {
        let text = text.trim();
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | ':');
        let fits = (1..=MAX_ALIAS_LENGTH).contains(&text.len()) && text.chars().all(allowed);
        match fits && !text.chars().all(|c| c.is_ascii_digit()) {
            true => Ok(RuleAlias(text.to_string())),
            false => Err(NotAnAlias),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RuleAlias {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_is_another_program_s_text_id_never_a_number() {
        assert_eq!(RuleAlias::parse(" reward_abc ").unwrap().as_str(), "reward_abc");
        assert!(RuleAlias::parse("rw-1.2:x").is_ok());
        for refused in ["", "12345", "a b", "a/b", "ä", &"x".repeat(MAX_ALIAS_LENGTH + 1)] {
            assert_eq!(RuleAlias::parse(refused), Err(NotAnAlias), "{refused:?}");
        }
    }
}
