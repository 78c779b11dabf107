//! The time and the entropy, as ports: the system's in production, a simulated clock and a seeded
//! generator in the simulation, so that one seed replays one run exactly.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use tally_domain::Time;

pub trait Clock: Send + Sync {
    /// The time now, as precisely as the clock knows it.
    fn now(&self) -> Time;
}

pub trait Random: Send + Sync {
    /// Fills `bytes` with random bytes.
    fn fill(&self, bytes: &mut [u8]);
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Time {
        Time::now_utc()
    }
}

/// The operating system's randomness.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, bytes: &mut [u8]) {
        // The OS random source failing is not something any request can recover from.
        getrandom::fill(bytes).expect("the operating system's random source is unavailable");
    }
}

/// A clock that moves only when told to (to the millisecond): the simulation's.
#[derive(Debug, Clone)]
pub struct SimClock(Arc<AtomicI64>);

impl SimClock {
    pub fn at(start: Time) -> SimClock {
        SimClock(Arc::new(AtomicI64::new(millis(start))))
    }

    pub fn advance(&self, by: time::Duration) {
        self.0.fetch_add(by.whole_milliseconds() as i64, Ordering::SeqCst);
    }

    pub fn set(&self, to: Time) {
        self.0.store(millis(to), Ordering::SeqCst);
    }
}

fn millis(t: Time) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Clock for SimClock {
    fn now(&self) -> Time {
        let ms = self.0.load(Ordering::SeqCst);
        Time::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000).unwrap_or(Time::UNIX_EPOCH)
    }
}

/// A generator that draws the same bytes for the same seed (SplitMix64): the simulation's.
#[derive(Debug, Clone)]
pub struct SeededRandom(Arc<AtomicU64>);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(Arc::new(AtomicU64::new(seed)))
    }

    pub fn next_u64(&self) -> u64 {
        let mut z = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::SeqCst).wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

impl Random for SeededRandom {
    fn fill(&self, bytes: &mut [u8]) {
        for chunk in bytes.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_draws_the_same_bytes_and_the_sim_clock_moves_only_when_told() {
        let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
        let (mut x, mut y) = ([0u8; 20], [0u8; 20]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(SeededRandom::new(8).next_u64(), SeededRandom::new(7).next_u64());
        let clock = SimClock::at(Time::UNIX_EPOCH);
        assert_eq!(clock.now(), Time::UNIX_EPOCH);
        clock.advance(time::Duration::milliseconds(1500));
        assert_eq!(clock.now(), Time::UNIX_EPOCH + time::Duration::milliseconds(1500));
    }
}
