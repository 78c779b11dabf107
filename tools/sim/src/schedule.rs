//! A schedule: the steps one seed draws. A step names what it acts on by a pick, an index into what exists
//! when it runs (the rewards given so far, the orders placed, the deliveries waiting), so that a schedule
//! with steps taken out still runs: that is how a failing schedule is shrunk.

use tally_app::fakes::ShopifyFault;

/// The shops, customers and rules every world has (`world`).
pub const SHOPS: u8 = 2;
pub const CUSTOMERS: u8 = 3;
/// Rules 1 to 5: one of each type (5 is store credit); 6 is variable.
pub const RULES: u8 = 6;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Redeem {
        shop: u8,
        customer: u8,
        rule: u8,
        delayed: bool,
    },
    /// The shop takes a reward back.
    Refund {
        pick: u32,
    },
    /// A customer's order uses a reward's code in Shopify; its `orders/create` waits to be delivered.
    Order {
        pick: u32,
    },
    /// An order placed is cancelled; its `orders/cancelled` waits.
    Cancel {
        pick: u32,
    },
    /// An order placed is refunded in Shopify, in full or not; its `refunds/create` waits.
    RefundOrder {
        pick: u32,
        full: bool,
    },
    /// A waiting delivery arrives, in any order.
    Deliver {
        pick: u32,
    },
    /// A delivery that arrived arrives again.
    Redeliver {
        pick: u32,
    },
    Add {
        shop: u8,
        customer: u8,
        points: u16,
        expires_in_days: Option<u8>,
    },
    Remove {
        shop: u8,
        customer: u8,
        points: u16,
    },
    Expire,
    Reconcile,
    /// Time passes.
    Advance {
        seconds: u32,
    },
    /// A request sent before is sent again under its key.
    Retry {
        pick: u32,
    },
    /// A redemption and, at once, its refund.
    RedeemThenRefund {
        shop: u8,
        customer: u8,
        rule: u8,
    },
}

/// Something going wrong during a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trouble {
    /// Shopify fails the step's calls so, from the first.
    Shopify(ShopifyFault),
    /// The process dies at the step's `at`th call to the store or Shopify, before it is made or just after.
    Crash { at: u8, after: bool },
    /// The store fails the `at`th call, before it is made or after (its answer lost).
    StoreFails { at: u8, after: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Step {
    pub op: Op,
    pub trouble: Option<Trouble>,
}

/// SplitMix64: the schedule's own generator, apart from the one the world draws ids from.
#[derive(Debug, Clone)]
pub struct Draw(u64);

impl Draw {
    pub fn new(seed: u64) -> Draw {
        Draw(seed ^ 0x5EED_5EED_5EED_5EED)
    }

    pub fn draw(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.draw() % n.max(1)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    fn small(&mut self, n: u8) -> u8 {
        self.below(u64::from(n)) as u8
    }
}

/// The schedule of `ops` steps that `seed` draws.
pub fn schedule(seed: u64, ops: usize) -> Vec<Step> {
    let mut draw = Draw::new(seed);
    (0..ops).map(|_| step(&mut draw)).collect()
}

fn step(d: &mut Draw) -> Step {
    let pick = d.draw() as u32;
    let (shop, customer) = (d.small(SHOPS), d.small(CUSTOMERS));
    let op = match d.below(100) {
        0..=21 => Op::Redeem { shop, customer, rule: 1 + d.small(RULES), delayed: d.chance(30) },
        22..=29 => Op::Refund { pick },
        30..=39 => Op::Order { pick },
        40..=43 => Op::Cancel { pick },
        44..=47 => Op::RefundOrder { pick, full: d.chance(70) },
        48..=59 => Op::Deliver { pick },
        60..=62 => Op::Redeliver { pick },
        63..=70 => {
            let expires_in_days = d.chance(50).then(|| 1 + d.small(5));
            Op::Add { shop, customer, points: 100 * (1 + d.below(30) as u16), expires_in_days }
        }
        71..=73 => Op::Remove { shop, customer, points: 50 * (1 + d.below(10) as u16) },
        74..=77 => Op::Expire,
        78..=82 => Op::Reconcile,
        83..=91 => Op::Advance { seconds: advance(d) },
        92..=96 => Op::Retry { pick },
        _ => Op::RedeemThenRefund { shop, customer, rule: 1 + d.small(4) },
    };
    let trouble = match d.below(100) {
        0..=3 => Some(Trouble::Shopify(ShopifyFault::Down)),
        4..=7 => Some(Trouble::Shopify(ShopifyFault::AnswerLost)),
        8..=9 => Some(Trouble::Shopify(ShopifyFault::Refused)),
        10 => Some(Trouble::Shopify(ShopifyFault::Throttled)),
        11..=15 => Some(Trouble::Crash { at: d.small(10), after: d.chance(50) }),
        16..=17 => Some(Trouble::StoreFails { at: d.small(10), after: d.chance(50) }),
        _ => None,
    };
    Step { op, trouble }
}

/// How long time passes: mostly seconds (past a claim's 30), sometimes minutes (past reconciliation's
/// grace), now and then days (past rewards' and lots' ends).
fn advance(d: &mut Draw) -> u32 {
    match d.below(10) {
        0..=5 => 5 + d.below(40) as u32,
        6..=8 => 60 * (1 + d.below(10) as u32),
        _ => 86_400 * (1 + d.below(3) as u32),
    }
}
