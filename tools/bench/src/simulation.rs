//! The seeded simulation's speed: operations per second over the in-memory fakes, and in lockstep over
//! DynamoDB Local and the Shopify emulator (each step there is also run and checked over the fakes).

use std::time::Instant;

use tally_sim::{lockstep, numbered, over_fakes};

use crate::Error;

/// Steps per seed: the length of `make test`'s fake seeds and of its lockstep seeds.
const FAKE_OPS: usize = 400;
const LOCKSTEP_OPS: usize = 500;
const FAKE_SEEDS: u64 = 50;
const LOCKSTEP_SEEDS: u64 = 2;

pub(crate) async fn simulation(endpoint: &str) -> Result<String, Error> {
    let started = Instant::now();
    for seed in 1..=FAKE_SEEDS {
        over_fakes(seed, &numbered(seed, FAKE_OPS)).await.map_err(|v| format!("seed {seed}: {}", v.what))?;
    }
    let fakes = (FAKE_SEEDS as usize * FAKE_OPS) as f64 / started.elapsed().as_secs_f64();
    let started = Instant::now();
    for seed in 1..=LOCKSTEP_SEEDS {
        let steps = numbered(seed, LOCKSTEP_OPS);
        lockstep(seed, &steps, endpoint).await.map_err(|v| format!("seed {seed}: {}", v.what))?;
    }
    let dynamodb = (LOCKSTEP_SEEDS as usize * LOCKSTEP_OPS) as f64 / started.elapsed().as_secs_f64();
    Ok(format!(
        "\n## Simulation\n\nThe seeded simulation (`make sim`), release build, every invariant checked after every step.\n\n| run | seeds × steps | operations per second |\n| --- | --- | --- |\n| over the in-memory fakes | {FAKE_SEEDS} × {FAKE_OPS} | {fakes:.0} |\n| in lockstep over DynamoDB Local and the emulator | {LOCKSTEP_SEEDS} × {LOCKSTEP_OPS} | {dynamodb:.0} |\n"
    ))
}
