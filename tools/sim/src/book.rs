//! What a leg has seen so far: the rewards its redemptions answered with, the orders placed, the webhook
//! deliveries waiting and those delivered, the keyed requests sent. A step's pick is an index into these.

use std::collections::BTreeMap;

use tally_app::ports::store::KEEP_ANSWER_SECONDS;
use tally_app::webhooks::Event;
use tally_domain::ids::{CustomerId, OrderId, RewardId};
use tally_domain::redemption::RedeemCommand;
use tally_domain::Time;

#[derive(Debug, Clone)]
pub struct Seen {
    pub shop: usize,
    pub customer: CustomerId,
    pub id: RewardId,
    pub code: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Placed {
    pub shop: usize,
    pub id: OrderId,
    pub name: String,
    pub codes: Vec<String>,
    pub cancelled: bool,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub shop: usize,
    pub id: String,
    pub event: Event,
}

/// A keyed write, as a client sends it again.
#[derive(Debug, Clone)]
pub enum Request {
    Redeem(RedeemCommand),
    Refund { customer: CustomerId, reward: RewardId },
    Adjust { customer: CustomerId, points: i64, expires_in_days: Option<u8> },
}

#[derive(Debug, Clone)]
pub struct Sent {
    pub shop: usize,
    pub key: String,
    pub request: Request,
}

/// What a step was doing when its process died: what is sent again.
#[derive(Debug, Clone)]
pub enum InFlight {
    Sent(Sent),
    Delivery(Delivery),
}

#[derive(Debug, Default)]
pub struct Book {
    pub in_flight: Option<InFlight>,
    pub rewards: Vec<Seen>,
    pub orders: Vec<Placed>,
    pub waiting: Vec<Delivery>,
    pub delivered: Vec<Delivery>,
    pub sent: Vec<Sent>,
    /// The reward each redemption key answered with: within the time a key's answer is kept, a key gives
    /// one reward however often it is sent.
    pub reward_of_key: BTreeMap<String, RewardId>,
    /// Redemption keys sent, each counted again when sent after its answer's time was up.
    pub redemptions: usize,
    /// When each key was first sent, and how many times it was sent afresh (after its answer's time).
    first_sent: BTreeMap<String, (Time, u32)>,
    deliveries: u64,
}

fn kept() -> time::Duration {
    time::Duration::seconds(KEEP_ANSWER_SECONDS)
}

/// The `pick`th of `items`, if there are any.
pub fn pick<T>(items: &[T], pick: u32) -> Option<usize> {
    (!items.is_empty()).then(|| pick as usize % items.len())
}

impl Book {
    pub fn deliver_later(&mut self, shop: usize, event: Event) {
        self.deliveries += 1;
        let id = format!("delivery-{}", self.deliveries);
        self.waiting.push(Delivery { shop, id, event });
    }

    /// Notes a write sent under `key` at `now`; its session: how many times the key was sent afresh before
    /// (a key sent again after its answer's time is a new request).
    pub fn sending(&mut self, key: &str, now: Time, redemption: bool) -> u32 {
        let session = match self.first_sent.get(key) {
            Some(&(first, session)) if now - first <= kept() => return session,
            Some(&(_, session)) => session + 1,
            None => 0,
        };
        self.first_sent.insert(key.into(), (now, session));
        if redemption {
            self.reward_of_key.remove(key);
            self.redemptions += 1;
        }
        session
    }

    /// Notes the reward a redemption under `key` answered with; `false` if the key gave another before,
    /// within the time its answer is kept.
    pub fn rewarded(&mut self, key: &str, seen: Seen) -> bool {
        match self.reward_of_key.get(key) {
            Some(first) => *first == seen.id,
            None => {
                self.reward_of_key.insert(key.into(), seen.id);
                self.rewards.push(seen);
                true
            }
        }
    }
}
