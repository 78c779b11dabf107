//! Random identifiers: reward ids, discount codes, API keys, claim tokens. The one outside source the
//! domain reads is the operating system's randomness.

const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    // The OS random source failing is not something any request can recover from.
    getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
    buf
}

/// A reward id: a random integer below 2^53, so that JavaScript clients read it exactly.
pub fn reward_id() -> u64 {
    let n = u64::from_le_bytes(random_bytes::<8>()) & ((1 << 53) - 1);
    n.max(1)
}

/// A discount code: the shop's prefix and 10 characters of `A-Z0-9` (32 symbols: no 0, O, 1 or I to misread),
/// about 50 bits, so that guessing another customer's code is hopeless.
pub fn discount_code(prefix: &str) -> String {
    let suffix: String =
        random_bytes::<10>().iter().map(|b| CODE_ALPHABET[*b as usize % CODE_ALPHABET.len()] as char).collect();
    format!("{prefix}{suffix}")
}

/// A new API key: `tly_` and 32 bytes of hex. Shown once, stored only as its hash.
pub fn api_key() -> String {
    format!("tly_{}", hex::encode(random_bytes::<32>()))
}

/// The stored form of an API key.
pub fn hash_api_key(key: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_carry_the_prefix_and_only_unambiguous_characters() {
        let code = discount_code("TALLY-");
        assert!(code.starts_with("TALLY-"));
        assert_eq!(code.len(), 16);
        assert!(code[6..].bytes().all(|b| CODE_ALPHABET.contains(&b)));
        assert_ne!(discount_code("X"), discount_code("X"));
    }

    #[test]
    fn reward_ids_are_safe_javascript_integers() {
        for _ in 0..1000 {
            let id = reward_id();
            assert!(id > 0 && id < (1 << 53));
        }
    }

    #[test]
    fn keys_are_hashed_deterministically_and_never_stored_as_given() {
        let key = api_key();
        assert_eq!(hash_api_key(&key), hash_api_key(&key));
        assert_ne!(hash_api_key(&key), key);
        assert_eq!(hash_api_key(&key).len(), 64);
    }
}
