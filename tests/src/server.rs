//! The real local API server as a process of its own, for tests that kill it halfway (`TALLY_CRASH_AT`).

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::Stack;

/// The local API server binary of this build, beside the test binary's folder.
pub fn local_api_binary() -> std::path::PathBuf {
    let deps = std::env::current_exe().expect("test binary path");
    let binary = deps.parent().and_then(|d| d.parent()).expect("target folder").join("local-api");
    assert!(binary.exists(), "{} is missing: build the workspace's binaries first", binary.display());
    binary
}

/// A server process on the stack's table that aborts at `crash_at`; killed if the test ends first.
pub struct Server {
    child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub async fn crashing_at(stack: &Stack, crash_at: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new(local_api_binary())
            .env("PORT", port.to_string())
            .env("TABLE_NAME", stack.store.table())
            .env("DYNAMODB_ENDPOINT", crate::dynamodb_endpoint())
            .env("TALLY_CRASH_AT", crash_at)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the local API server starts");
        let url = format!("http://127.0.0.1:{port}");
        for _ in 0..100 {
            if stack.http.get(format!("{url}/api/external/point-redeem-rules")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, url }
    }

    /// Waits for the process to end; panics unless it aborted.
    pub fn assert_crashed(mut self, crash_at: &str) {
        let status = self.child.wait().expect("the server exits");
        assert!(!status.success(), "the server aborted at {crash_at}");
    }
}
