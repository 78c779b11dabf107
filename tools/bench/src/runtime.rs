//! A local Lambda Runtime API, enough to start a function binary, time its first request for work, feed
//! it invocations and read its peak memory.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Notify;

struct Runtime {
    event: String,
    /// Invocations to serve before answering `next` no more.
    remaining: AtomicU64,
    first_poll: Notify,
    polled: AtomicU64,
    done: Notify,
    answered: AtomicU64,
}

/// What one function binary showed.
pub struct Started {
    pub startup: Duration,
    pub peak_rss_kib: Option<u64>,
}

async fn next(State(runtime): State<Arc<Runtime>>) -> (HeaderMap, String) {
    runtime.polled.fetch_add(1, Ordering::SeqCst);
    runtime.first_poll.notify_one();
    if runtime.remaining.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_err() {
        // No more work: hold the poll, as Lambda does between invocations.
        std::future::pending::<()>().await;
    }
    let id = format!("bench-{}", runtime.polled.load(Ordering::SeqCst));
    let mut headers = HeaderMap::new();
    headers.insert("lambda-runtime-aws-request-id", id.parse().expect("a header value"));
    headers.insert("lambda-runtime-deadline-ms", "4102444800000".parse().expect("a header value"));
    headers.insert(
        "lambda-runtime-invoked-function-arn",
        "arn:aws:lambda:us-east-1:123456789012:function:bench".parse().expect("a header value"),
    );
    (headers, runtime.event.clone())
}

/// The function's answer, read to the end so that its connection can serve the next `next`.
async fn answered(State(runtime): State<Arc<Runtime>>, Path(_id): Path<String>, _answer: Bytes) -> &'static str {
    runtime.answered.fetch_add(1, Ordering::SeqCst);
    runtime.done.notify_one();
    "ok"
}

/// Starts `binary` against a fresh runtime API; returns the time from exec to its first `next` request,
/// and its peak resident memory once it has served `invocations` (at start-up when none).
pub async fn start(
    binary: &std::path::Path,
    env: &[(&str, String)],
    event: &str,
    invocations: u64,
) -> std::io::Result<Started> {
    let runtime = Arc::new(Runtime {
        event: event.to_string(),
        remaining: AtomicU64::new(invocations),
        first_poll: Notify::new(),
        polled: AtomicU64::new(0),
        done: Notify::new(),
        answered: AtomicU64::new(0),
    });
    let router = Router::new()
        .route("/2018-06-01/runtime/invocation/next", get(next))
        .route("/2018-06-01/runtime/invocation/{id}/response", post(answered))
        .route("/2018-06-01/runtime/invocation/{id}/error", post(answered))
        .layer(DefaultBodyLimit::disable())
        .with_state(runtime.clone());
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, router).await });
    let mut command = Command::new(binary);
    command
        .env("AWS_LAMBDA_RUNTIME_API", address.to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "bench")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_STREAM_NAME", "bench")
        .env("AWS_LAMBDA_LOG_GROUP_NAME", "bench")
        .env("RUST_LOG", "warn")
        // Lambda names no certificate file or folder: the system's bundle is read, as there.
        .env_remove("SSL_CERT_FILE")
        .env_remove("SSL_CERT_DIR")
        .stdout(Stdio::null())
        .stderr(if std::env::var_os("BENCH_FUNCTION_LOGS").is_some() { Stdio::inherit() } else { Stdio::null() });
    for (name, value) in env {
        command.env(name, value);
    }
    let started = Instant::now();
    let child = Killed(command.spawn()?);
    let poll = runtime.first_poll.notified();
    tokio::time::timeout(Duration::from_secs(10), poll).await.map_err(|_| std::io::Error::other("no first request"))?;
    let startup = started.elapsed();
    while runtime.answered.load(Ordering::SeqCst) < invocations {
        tokio::time::timeout(Duration::from_secs(30), runtime.done.notified()).await.map_err(|_| {
            let answered = runtime.answered.load(Ordering::SeqCst);
            std::io::Error::other(format!("the function stopped answering after {answered} of {invocations}"))
        })?;
    }
    Ok(Started { startup, peak_rss_kib: peak_rss(child.0.id()) })
}

/// The process's high-water mark of resident memory (`VmHWM`), in KiB.
fn peak_rss(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
