//! A Lambda that dies halfway loses nothing: the real local API server is run as a process that aborts
//! at a crash point, then reconciliation settles what it left, and the audit is clean.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;
use tally_tests::{Stack, TestShop};

const CUSTOMER: u64 = 4242;

/// The local API server binary of this build, beside the test binary's folder.
fn local_api_binary() -> std::path::PathBuf {
    let deps = std::env::current_exe().expect("test binary path");
    let binary = deps.parent().and_then(|d| d.parent()).expect("target folder").join("local-api");
    assert!(binary.exists(), "{} is missing: build the workspace's binaries first", binary.display());
    binary
}

/// The server process, killed if the test ends before it died by itself.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends one redemption to a server that aborts at `crash_at`; returns once the server died.
async fn redeem_and_crash(stack: &Stack, shop: &TestShop, crash_at: &str, key: &str, rule: u64) {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let mut server = Server(
        Command::new(local_api_binary())
            .env("PORT", port.to_string())
            .env("TABLE_NAME", stack.store.table())
            .env("DYNAMODB_ENDPOINT", tally_tests::dynamodb_endpoint())
            .env("TALLY_CRASH_AT", crash_at)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the local API server starts"),
    );
    let url = format!("http://127.0.0.1:{port}");
    for _ in 0..100 {
        if stack.http.get(format!("{url}/api/external/point-redeem-rules")).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let sent = stack
        .http
        .post(format!("{url}/api/external/redeem-points"))
        .header("X-API-Key", &shop.key)
        .header("Idempotency-Key", key)
        .json(&json!({"customerId": CUSTOMER, "redeemRuleId": rule}))
        .send()
        .await;
    assert!(sent.is_err(), "the server died before answering");
    let status = server.0.wait().expect("the server exits");
    assert!(!status.success(), "the server aborted at {crash_at}");
}

#[tokio::test]
async fn a_crash_before_or_after_shopify_is_settled_by_reconciliation() {
    let rule = json!({"name": "$5 off", "rewardType": "FIXED_AMOUNT", "pointsCost": 100, "discountValue": "5.00"});
    let (stack, shop, rule) = Stack::with_rule("crash", rule, &[(CUSTOMER, 1000)]).await;

    redeem_and_crash(&stack, &shop, "after-debit", "crash-before-shopify", rule).await;
    redeem_and_crash(&stack, &shop, "after-shopify", "crash-after-shopify", rule).await;
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 800, "both debits were made");
    assert!(loyalty["rewards"].as_array().unwrap().iter().all(|r| r["status"] == "PENDING"));
    assert_eq!(stack.discounts(&shop).await.len(), 1, "only the second got as far as Shopify");

    // The dead request's key is still held: a retry is told to wait, not run again.
    let retry = stack
        .post_once(
            &shop.key,
            "crash-before-shopify",
            "/api/external/redeem-points",
            json!({"customerId": CUSTOMER, "redeemRuleId": rule}),
        )
        .await;
    assert_eq!((retry.status, retry.code()), (409, "REQUEST_IN_PROGRESS"));

    let report = stack.reconcile(&shop).await;
    assert_eq!((report.pending, report.issued, report.failed), (2, 1, 1), "{report:?}");
    let loyalty = stack.loyalty(&shop, CUSTOMER).await;
    assert_eq!(loyalty["availablePoints"], 900, "the reward Shopify never saw gave its points back");
    let mut statuses: Vec<&str> =
        loyalty["rewards"].as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, ["FAILED", "UNUSED"]);
    stack.assert_audit_clean(&shop).await;
    assert_eq!(stack.reconcile(&shop).await.pending, 0, "nothing is left pending");
}
