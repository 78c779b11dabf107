//! Shrinking a failing schedule over the fakes: cut to the failing step, then take out ever smaller runs
//! of steps while the schedule still fails (delta debugging), down to single steps. Steps keep their
//! numbers, so that what is left replays with `STEPS=`.

use crate::{over_fakes, Numbered, Violation};

/// At most this many schedules are tried.
const TRIES: usize = 3000;

/// The shortest schedule found that still fails, and its violation.
pub async fn shrink(seed: u64, steps: &[Numbered], violation: Violation) -> (Vec<Numbered>, Violation) {
    let mut current: Vec<Numbered> = steps.iter().filter(|(n, _)| *n <= violation.step).copied().collect();
    let mut last = violation;
    let mut tries = 0;
    let mut chunk = current.len().div_ceil(2).max(1);
    while tries < TRIES {
        let mut cut_any = false;
        let mut start = 0;
        while start < current.len() && tries < TRIES {
            let end = (start + chunk).min(current.len());
            let candidate: Vec<Numbered> = current[..start].iter().chain(&current[end..]).copied().collect();
            tries += 1;
            match over_fakes(seed, &candidate).await {
                Err(found) => {
                    current = candidate.into_iter().filter(|(n, _)| *n <= found.step).collect();
                    last = found;
                    cut_any = true;
                }
                Ok(_) => start = end,
            }
        }
        if chunk == 1 && !cut_any {
            break;
        }
        if !cut_any {
            chunk = chunk.div_ceil(2);
        }
    }
    (current, last)
}
