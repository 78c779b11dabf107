//! `tally-sim`: runs seeds of the simulation and prints what each did; a failure prints its seed, the
//! command that replays it, and the shortest schedule that still fails.
//!
//!     tally-sim --seeds 20 --ops 5000                 # seeds 1 to 20 over the fakes
//!     tally-sim --seed 7 --ops 500 --dynamodb URL     # seed 7 in lockstep with DynamoDB Local
//!     tally-sim --seed 7 --ops 500 --steps 3,41,57    # only those steps of seed 7's schedule

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use tally_sim::{lockstep, numbered, over_fakes, replay_command, shrink::shrink, Numbered, Violation};

#[derive(Parser)]
#[command(about = "Tally's seeded simulation")]
struct Args {
    /// One seed; without it, seeds `first-seed` onwards.
    #[arg(long)]
    seed: Option<u64>,
    /// How many seeds, from `first-seed`.
    #[arg(long, default_value_t = 1)]
    seeds: u64,
    #[arg(long, default_value_t = 1)]
    first_seed: u64,
    /// Steps per seed.
    #[arg(long, default_value_t = 1000)]
    ops: usize,
    /// A DynamoDB Local endpoint: the seeds run in lockstep over it and the fakes.
    #[arg(long)]
    dynamodb: Option<String>,
    /// Only these steps of the schedule (as a shrunk failure prints them).
    #[arg(long, value_delimiter = ',')]
    steps: Vec<usize>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = Args::parse();
    let seeds: Vec<u64> = match args.seed {
        Some(seed) => vec![seed],
        None => (args.first_seed..args.first_seed + args.seeds).collect(),
    };
    let leg = if args.dynamodb.is_some() { "in lockstep over DynamoDB Local and the fakes" } else { "over the fakes" };
    let started = Instant::now();
    let mut total = 0;
    let mut checked = std::collections::BTreeMap::new();
    for seed in seeds {
        let mut steps = numbered(seed, args.ops);
        if !args.steps.is_empty() {
            steps.retain(|(n, _)| args.steps.contains(n));
        }
        let began = Instant::now();
        let result = match &args.dynamodb {
            Some(endpoint) => lockstep(seed, &steps, endpoint).await,
            None => over_fakes(seed, &steps).await,
        };
        total += steps.len();
        match result {
            Ok(run) => {
                let rate = steps.len() as f64 / began.elapsed().as_secs_f64();
                println!("seed {seed}: {} steps {leg}, no violation ({rate:.0} steps/s)", steps.len());
                for (check, times) in run.checked {
                    *checked.entry(check).or_insert(0) += times;
                }
            }
            Err(violation) => {
                let selected = (!args.steps.is_empty()).then_some(steps.as_slice());
                report_failure(seed, args.ops, &steps, selected, violation, args.dynamodb.is_some()).await;
                return ExitCode::FAILURE;
            }
        }
    }
    let rate = total as f64 / started.elapsed().as_secs_f64();
    println!("{total} simulated operations {leg}, no violation: {rate:.0} operations/s");
    let checked: Vec<String> = checked.iter().map(|(check, times)| format!("{check} {times} times")).collect();
    println!("besides the checks of every step: {}", checked.join(", "));
    ExitCode::SUCCESS
}

async fn report_failure(
    seed: u64,
    ops: usize,
    steps: &[Numbered],
    selected: Option<&[Numbered]>,
    violation: Violation,
    dynamodb: bool,
) {
    eprintln!("seed {seed}: violation at step {}: {}", violation.step, violation.what);
    eprintln!("replay: {}", replay_command(seed, ops, selected, dynamodb));
    // Shrunk over the fakes, from the fakes' own failure (in lockstep, the legs may disagree first).
    let violation = match over_fakes(seed, steps).await {
        Ok(_) => {
            eprintln!("(the fakes alone pass this schedule: the legs disagree; not shrunk)");
            return;
        }
        Err(own) => own,
    };
    let (shortest, last) = shrink(seed, steps, violation).await;
    eprintln!("shrunk to {} steps, failing with: {}", shortest.len(), last.what);
    for (n, step) in &shortest {
        eprintln!("  {n}: {step:?}");
    }
    eprintln!("replay the shrunk schedule: {}", replay_command(seed, ops, Some(&shortest), false));
}
