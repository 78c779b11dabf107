//! Everything a leg holds, read through the ports as Tally reads it (the trouble disarmed), and what
//! Shopify holds: what the checks judge and what the two legs must hold alike.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use tally_app::ports::store::{Customers, Ledgers, Rewards};
use tally_app::ports::{Shopify, Store};
use tally_domain::customer::Customer;
use tally_domain::ids::CustomerId;
use tally_domain::ledger::LedgerEntry;
use tally_domain::reward::Reward;
use tally_domain::Time;

use crate::shopify::{Discount, ShopifyWorld};
use crate::world::Leg;

#[derive(Debug, Clone, PartialEq)]
pub struct Held {
    pub customer: Customer,
    pub rewards: Vec<Reward>,
    pub ledger: Vec<LedgerEntry>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ShopSnapshot {
    pub customers: Vec<Held>,
    pub discounts: Vec<Discount>,
    pub credit: BTreeMap<CustomerId, Decimal>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    pub at: Time,
    pub shops: Vec<ShopSnapshot>,
}

impl<S: Store, H: Shopify, W: ShopifyWorld> Leg<S, H, W> {
    pub async fn snapshot(&self) -> Snapshot {
        let mut shops = Vec::new();
        for shop in &self.shops {
            let store = self.deps.store.inner.shop(&shop.domain);
            let mut ids = store.customer_ids().await.expect("the store answers");
            ids.sort();
            let mut customers = Vec::new();
            for id in ids {
                let (customer, mut rewards) =
                    store.customer_with_rewards(id).await.expect("the store answers").expect("a listed customer");
                rewards.sort_by_key(|r| r.id);
                let ledger = store.ledger(id).await.expect("the store answers");
                customers.push(Held { customer, rewards, ledger });
            }
            let discounts = self.world.discounts(&shop.domain).await;
            let credit = self.world.credit(&shop.domain).await;
            shops.push(ShopSnapshot { customers, discounts, credit });
        }
        Snapshot { at: self.deps.now(), shops }
    }
}

/// Where two snapshots first differ, in words.
pub fn difference(a: &Snapshot, b: &Snapshot) -> Option<String> {
    if a == b {
        return None;
    }
    for (n, (x, y)) in a.shops.iter().zip(&b.shops).enumerate() {
        for (p, q) in x.customers.iter().zip(&y.customers) {
            if p != q {
                return Some(format!(
                    "shop {n}, customer {}:\n  fakes: {p:?}\n  dynamodb: {q:?}",
                    p.customer.customer_id
                ));
            }
        }
        if x.customers.len() != y.customers.len() {
            return Some(format!("shop {n}: {} customers against {}", x.customers.len(), y.customers.len()));
        }
        if x.discounts != y.discounts {
            return Some(format!("shop {n}'s discounts:\n  fakes: {:?}\n  emulator: {:?}", x.discounts, y.discounts));
        }
        if x.credit != y.credit {
            return Some(format!("shop {n}'s store credit: {:?} against {:?}", x.credit, y.credit));
        }
    }
    Some(format!("the clocks: {} against {}", a.at, b.at))
}
