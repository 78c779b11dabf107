//! The seeded simulation's bounded run (`make sim` runs a long one): 100,000 operations over the in-memory
//! fakes, and 2,000 in lockstep over DynamoDB Local and the Shopify emulator, where every outcome and,
//! every few steps, everything held must be what the fakes say. Fixed seeds, so that a failure is the same
//! failure on every machine; it prints the command that replays it.

use tally_sim::{lockstep, numbered, over_fakes, replay_command};
use tally_tests::{dynamodb_endpoint, on_a_large_stack};

/// Operations per seed over the fakes: short schedules, many seeds.
const FAKE_OPS: usize = 400;

async fn fakes(seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let steps = numbered(seed, FAKE_OPS);
        if let Err(violation) = over_fakes(seed, &steps).await {
            panic!(
                "seed {seed}, step {}: {}\nreplay: {}",
                violation.step,
                violation.what,
                replay_command(seed, FAKE_OPS, None, false)
            );
        }
    }
}

// 4 × 63 seeds × 400 operations: 100,800 operations.
#[tokio::test]
async fn a_hundred_thousand_simulated_operations_over_the_fakes_break_no_invariant_part_1() {
    fakes(1..64).await
}

#[tokio::test]
async fn a_hundred_thousand_simulated_operations_over_the_fakes_break_no_invariant_part_2() {
    fakes(64..127).await
}

#[tokio::test]
async fn a_hundred_thousand_simulated_operations_over_the_fakes_break_no_invariant_part_3() {
    fakes(127..190).await
}

#[tokio::test]
async fn a_hundred_thousand_simulated_operations_over_the_fakes_break_no_invariant_part_4() {
    fakes(190..253).await
}

/// Operations per seed in lockstep.
const LOCKSTEP_OPS: usize = 500;

/// Runs the lockstep with room for the SDK's deep futures (unoptimised, they outgrow a test thread's 2 MiB).
fn in_lockstep(seeds: std::ops::Range<u64>) {
    on_a_large_stack(move || lockstep_seeds(seeds))
}

async fn lockstep_seeds(seeds: std::ops::Range<u64>) {
    for seed in seeds {
        let steps = numbered(seed, LOCKSTEP_OPS);
        if let Err(violation) = lockstep(seed, &steps, &dynamodb_endpoint()).await {
            panic!(
                "seed {seed}, step {}: {}\nreplay: {}",
                violation.step,
                violation.what,
                replay_command(seed, LOCKSTEP_OPS, None, true)
            );
        }
    }
}

// 2 × 2 seeds × 500 operations: 2,000 operations over DynamoDB Local, each also over the fakes.
#[test]
fn dynamodb_local_and_the_emulator_agree_with_the_fakes_on_every_outcome_part_1() {
    in_lockstep(1001..1003)
}

#[test]
fn dynamodb_local_and_the_emulator_agree_with_the_fakes_on_every_outcome_part_2() {
    in_lockstep(1003..1005)
}
