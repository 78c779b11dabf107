//! Tally's use cases, and the ports they need: the store, Shopify, the clock and randomness (`ports`).
//! Each use case orchestrates one thing Tally does, from a typed command to a domain result, through
//! those ports; it never sees an HTTP request, a DynamoDB item or a GraphQL document. The domain decides;
//! the use case reads what the decision needs, asks the domain, and hands the decision to the store.
//! `fakes` holds an in-memory store and Shopify, for the unit tests and the simulation.

pub mod access;
pub mod adjust;
pub mod audit;
pub mod discounts;
pub mod enroll;
pub mod error;
pub mod events;
pub mod expire;
pub mod held;
pub mod idempotency;
pub mod import;
pub mod jobs;
pub mod loyalty;
pub mod orders;
pub mod ports;
pub mod privacy;
pub mod reconcile;
pub mod redaction;
pub mod redeem;
pub mod refund;
pub mod review;
pub mod rules;
pub mod settle;
pub mod shops;
pub mod tally;
pub mod webhooks;

mod balance;
mod codes;
mod issue;
mod journal;

#[cfg(any(test, feature = "fakes"))]
pub mod fakes;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use tally_domain::ids::{self, RewardId, CODE_LENGTH};
use tally_domain::Time;

use ports::{Clock, OsRandom, Random, SystemClock};

/// What a use case needs: built once per process, borrowed by every request.
pub struct Deps<S, H> {
    pub store: S,
    pub shopify: H,
    pub clock: Arc<dyn Clock>,
    pub random: Arc<dyn Random>,
    /// The Admin API tokens this process knows.
    pub tokens: access::TokenCache,
    /// The shops and API keys this process read in the last few seconds.
    pub held: held::HeldShops,
}

impl<S, H> Deps<S, H> {
    /// With the system's clock and randomness.
    pub fn new(store: S, shopify: H) -> Deps<S, H> {
        Deps::with(store, shopify, Arc::new(SystemClock), Arc::new(OsRandom))
    }

    pub fn with(store: S, shopify: H, clock: Arc<dyn Clock>, random: Arc<dyn Random>) -> Deps<S, H> {
        Deps { store, shopify, clock, random, tokens: access::TokenCache::default(), held: held::HeldShops::default() }
    }

    /// The time now, to the second: the precision Tally stores and returns.
    pub fn now(&self) -> Time {
        let now = self.clock.now();
        now.replace_nanosecond(0).unwrap_or(now)
    }

    /// The id and code of a new reward made at `at`.
    pub fn draw_reward(&self, code_prefix: &str, at: Time) -> (RewardId, String) {
        (self.draw_reward_id(at), self.draw_code(code_prefix))
    }

    pub fn draw_reward_id(&self, at: Time) -> RewardId {
        let mut bits = [0u8; 8];
        self.random.fill(&mut bits);
        RewardId::made_at(at, u64::from_le_bytes(bits))
    }

    pub fn draw_code(&self, prefix: &str) -> String {
        let mut entropy = [0u8; CODE_LENGTH];
        self.random.fill(&mut entropy);
        ids::discount_code(prefix, entropy)
    }

    /// A token that tells one holder of a claim or a lock from another.
    pub fn draw_token(&self) -> String {
        let mut entropy = [0u8; 16];
        self.random.fill(&mut entropy);
        ids::token(entropy)
    }

    /// A new API key.
    pub fn draw_api_key(&self) -> String {
        let mut entropy = [0u8; 32];
        self.random.fill(&mut entropy);
        ids::api_key(entropy)
    }
}

impl<S: std::fmt::Debug, H: std::fmt::Debug> std::fmt::Debug for Deps<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Deps").field("store", &self.store).field("shopify", &self.shopify).finish_non_exhaustive()
    }
}

/// Aborts the process at a named point when `TALLY_CRASH_AT` names it, to prove that a Lambda dying there
/// loses nothing. Honoured only against DynamoDB Local (`DYNAMODB_ENDPOINT` set), never in AWS.
pub(crate) fn crash_point(name: &str) {
    if std::env::var("TALLY_CRASH_AT").is_ok_and(|at| at == name) && std::env::var("DYNAMODB_ENDPOINT").is_ok() {
        tracing::error!(crash_point = name, "aborting, as TALLY_CRASH_AT asks");
        std::process::abort();
    }
}
