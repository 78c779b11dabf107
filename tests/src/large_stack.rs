//! Tests whose unoptimised futures outgrow a test thread's 2 MiB stack (the AWS SDK's are deep): each runs
//! on a thread of its own, with room for them, on a runtime of its own.

use std::future::Future;

/// Runs the future `test` makes on a thread with a 64 MiB stack, and fails as it fails.
pub fn on_a_large_stack<F: Future<Output = ()>>(test: impl FnOnce() -> F + Send + 'static) {
    let thread = std::thread::Builder::new().stack_size(64 << 20).spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("a runtime");
        runtime.block_on(test())
    });
    if let Err(panic) = thread.expect("a thread").join() {
        std::panic::resume_unwind(panic)
    }
}
