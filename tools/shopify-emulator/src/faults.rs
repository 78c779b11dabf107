//! Failures on command: a share of calls, or the next N, fail in a chosen way.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultMode {
    /// HTTP 503, nothing done.
    Error,
    /// The operation is carried out, but the answer is held longer than any client waits.
    Timeout,
    /// The operation is carried out, and then HTTP 503 is answered (an edge failing after the work).
    ErrorAfterDone,
    /// Shopify's THROTTLED error, nothing done.
    Throttle,
    /// A mutation answers with a userErrors entry, nothing done (queries are not affected).
    UserError,
    /// Each failing call fails in one of the ways above, chosen at random.
    Mixed,
}

/// Whose calls fail: Shopify's (the default), or one of the stand-ins for Klaviyo and EventBridge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    #[default]
    Shopify,
    Klaviyo,
    Eventbridge,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    #[serde(default)]
    pub target: Target,
    pub mode: FaultMode,
    pub rate: Option<f64>,
    pub count: Option<u32>,
    /// Only this shop's calls fail (its domain); every shop's when absent.
    pub shop: Option<String>,
}

#[derive(Debug, Default)]
pub struct Faults {
    active: Option<(FaultMode, Trigger)>,
    /// Faults of one shop, before any of every shop.
    per_shop: std::collections::HashMap<String, (FaultMode, Trigger)>,
}

#[derive(Debug)]
enum Trigger {
    Rate(f64),
    Count(u32),
}

impl Faults {
    pub fn set(&mut self, request: FaultRequest) -> Result<(), String> {
        let trigger = match (request.rate, request.count) {
            (Some(rate), None) if (0.0..=1.0).contains(&rate) => Trigger::Rate(rate),
            (None, Some(count)) => Trigger::Count(count),
            _ => return Err("give either rate (0 to 1) or count".into()),
        };
        match request.shop {
            Some(shop) => {
                self.per_shop.insert(shop, (request.mode, trigger));
            }
            None => self.active = Some((request.mode, trigger)),
        }
        Ok(())
    }

    pub fn clear(&mut self) {
        self.active = None;
        self.per_shop.clear();
    }

    /// The fault this call of `shop` suffers, if any. `is_mutation` matters for `user_error`, which only
    /// mutations can show.
    pub fn draw(&mut self, shop: &str, is_mutation: bool) -> Option<FaultMode> {
        let (mode, trigger) = match self.per_shop.get_mut(shop) {
            Some(fault) => fault,
            None => self.active.as_mut()?,
        };
        if *mode == FaultMode::UserError && !is_mutation {
            return None;
        }
        let mode = *mode;
        match trigger {
            Trigger::Count(0) => None,
            Trigger::Count(n) => {
                *n -= 1;
                Some(mode)
            }
            Trigger::Rate(rate) => (random_unit() < *rate).then_some(mode),
        }
        .map(|mode| if mode == FaultMode::Mixed { Self::any(is_mutation) } else { mode })
    }

    fn any(is_mutation: bool) -> FaultMode {
        let modes: &[FaultMode] = if is_mutation {
            &[FaultMode::Error, FaultMode::Timeout, FaultMode::Throttle, FaultMode::UserError]
        } else {
            &[FaultMode::Error, FaultMode::Timeout, FaultMode::Throttle]
        };
        modes[(random_unit() * modes.len() as f64) as usize % modes.len()]
    }
}

fn random_unit() -> f64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
