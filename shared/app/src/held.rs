//! What a warm Lambda keeps of the shops between requests: the shop each API key opens, and each shop with
//! its client secret, for at most `HELD_FOR`. A request then authenticates without a read of its own. The
//! price is staleness, bounded: a key revoked, a shop uninstalled or a secret rotated elsewhere takes effect
//! in every Lambda within `HELD_FOR` (at once in the Lambda that made the change). Unknown keys and shops
//! are never kept, so that a key or a shop just made works at once.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tally_domain::shop::{Shop, ShopDomain};
use tally_domain::Time;

/// How long a Lambda trusts what it read of a shop or a key: the bound on the staleness above.
pub const HELD_FOR: Duration = Duration::from_secs(5);

/// The most entries kept of each kind: past it, the oldest half goes (a Lambda serves few shops).
const MOST: usize = 1024;

/// A shop as read with its client secret (none for a shop never connected properly).
#[derive(Debug, Clone, PartialEq)]
pub struct ShopWithSecret {
    pub shop: Shop,
    pub client_secret: Option<String>,
}

/// The shops and keys this Lambda holds. Clones share them.
#[derive(Clone, Default)]
pub struct HeldShops {
    by_key: Arc<Mutex<Entries<String, Shop>>>,
    by_domain: Arc<Mutex<Entries<ShopDomain, ShopWithSecret>>>,
}

impl std::fmt::Debug for HeldShops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HeldShops(…)")
    }
}

struct Entries<K, V>(HashMap<K, (V, Time)>);

impl<K, V> Default for Entries<K, V> {
    fn default() -> Self {
        Entries(HashMap::new())
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Entries<K, V> {
    fn get(&self, key: &K, now: Time) -> Option<V> {
        let (value, read_at) = self.0.get(key)?;
        (now - *read_at < HELD_FOR && *read_at <= now).then(|| value.clone())
    }

    fn put(&mut self, key: K, value: V, now: Time) {
        if self.0.len() >= MOST {
            let mut times: Vec<Time> = self.0.values().map(|(_, at)| *at).collect();
            times.sort_unstable();
            let median = times[times.len() / 2];
            self.0.retain(|_, (_, at)| *at > median);
        }
        self.0.insert(key, (value, now));
    }
}

fn locked<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl HeldShops {
    /// The shop the key with this hash opened when last read, if that was less than `HELD_FOR` ago.
    pub fn for_key(&self, hash: &str, now: Time) -> Option<Shop> {
        locked(&self.by_key).get(&hash.to_string(), now)
    }

    pub fn keep_for_key(&self, hash: &str, shop: &Shop, now: Time) {
        locked(&self.by_key).put(hash.to_string(), shop.clone(), now);
    }

    pub fn for_domain(&self, domain: &ShopDomain, now: Time) -> Option<ShopWithSecret> {
        locked(&self.by_domain).get(domain, now)
    }

    pub fn keep_for_domain(&self, held: &ShopWithSecret, now: Time) {
        locked(&self.by_domain).put(held.shop.domain.clone(), held.clone(), now);
    }

    /// Forgets a revoked key.
    pub fn forget_key(&self, hash: &str) {
        locked(&self.by_key).0.remove(hash);
    }

    /// Forgets a shop that changed (connected again, uninstalled, its secret rotated), under every key too.
    pub fn forget_shop(&self, domain: &ShopDomain) {
        locked(&self.by_domain).0.remove(domain);
        locked(&self.by_key).0.retain(|_, (shop, _)| shop.domain != *domain);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tally_domain::shop::Access;

    fn shop(domain: &str) -> Shop {
        Shop::new(domain, Access::StaticToken, Time::UNIX_EPOCH).unwrap()
    }

    #[test]
    fn a_shop_is_held_for_a_few_seconds_and_forgotten_when_it_changes() {
        let held = HeldShops::default();
        let at = Time::UNIX_EPOCH + Duration::from_secs(1000);
        held.keep_for_key("h", &shop("a.myshopify.com"), at);
        assert!(held.for_key("h", at + Duration::from_millis(4999)).is_some());
        assert!(held.for_key("h", at + HELD_FOR).is_none(), "no longer than HELD_FOR");
        assert!(held.for_key("h", at - Duration::from_secs(1)).is_none(), "a clock that went back trusts nothing");
        held.keep_for_key("h", &shop("a.myshopify.com"), at);
        held.forget_shop(&ShopDomain::parse("a.myshopify.com").unwrap());
        assert!(held.for_key("h", at).is_none());
    }

    #[test]
    fn the_cache_stays_bounded() {
        let held = HeldShops::default();
        let at = Time::UNIX_EPOCH;
        for n in 0..(3 * MOST) {
            held.keep_for_key(&n.to_string(), &shop("a.myshopify.com"), at + Duration::from_millis(n as u64));
        }
        assert!(locked(&held.by_key).0.len() <= MOST);
        assert!(held.for_key(&(3 * MOST - 1).to_string(), at + Duration::from_secs(4)).is_some(), "the newest stays");
    }
}
