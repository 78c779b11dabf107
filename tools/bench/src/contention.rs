//! Contention on one balance: a hundred redemptions at once for one customer whose points afford one.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{Bench, Error, KEY};

/// The racers.
pub(crate) const RACERS: usize = 100;
/// The customer who races: enrolled apart from the bench's others, with the points of one reward.
const CUSTOMER: u64 = 9_000_000;

/// How the race ended.
pub(crate) struct Contention {
    pub rewards: usize,
    pub insufficient: usize,
    pub in_progress: usize,
    /// Any other answer, by status: none is expected.
    pub other: Vec<u16>,
    pub p50: Duration,
    pub p99: Duration,
}

impl Bench {
    pub(crate) async fn contention(&self) -> Result<Contention, Error> {
        let post = |path: &str, body: serde_json::Value| {
            self.http.post(format!("{}{path}", self.api)).header("X-API-Key", KEY).json(&body).send()
        };
        post("/api/external/customers", json!({"customerId": CUSTOMER, "email": "racer@example.com"})).await?;
        // The bench rule costs one point.
        post("/api/external/add-points", json!({"customerId": CUSTOMER, "points": 1, "reason": "race"})).await?;
        let body = json!({"customerId": CUSTOMER, "redeemRuleId": self.rule});
        let racers = (0..RACERS).map(|n| {
            let request = self
                .http
                .post(format!("{}/api/external/redeem-points", self.api))
                .header("X-API-Key", KEY)
                .header("Idempotency-Key", format!("racer-{n}"))
                .json(&body);
            async move {
                let started = Instant::now();
                let response = request.send().await?;
                let status = response.status().as_u16();
                let answer: serde_json::Value = response.json().await?;
                let code = answer["error"]["code"].as_str().unwrap_or_default().to_string();
                Ok::<_, Error>((status, code, started.elapsed()))
            }
        });
        let answers = futures::future::try_join_all(racers).await?;
        let mut latencies: Vec<Duration> = answers.iter().map(|(_, _, took)| *took).collect();
        latencies.sort();
        let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
        let count = |status: u16, code: &str| answers.iter().filter(|(s, c, _)| *s == status && c == code).count();
        let other = answers
            .iter()
            .filter(|(s, c, _)| {
                !matches!((*s, c.as_str()), (200, _) | (400, "INSUFFICIENT_POINTS") | (409, "REQUEST_IN_PROGRESS"))
            })
            .map(|(s, _, _)| *s)
            .collect();
        Ok(Contention {
            rewards: answers.iter().filter(|(s, _, _)| *s == 200).count(),
            insufficient: count(400, "INSUFFICIENT_POINTS"),
            in_progress: count(409, "REQUEST_IN_PROGRESS"),
            other,
            p50: at(0.50),
            p99: at(0.99),
        })
    }
}
