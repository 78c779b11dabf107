//! The AWS clients on tally-http, against a stand-in for DynamoDB that answers as it is told.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use aws_sdk_dynamodb::config::retry::RetryConfig;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::SdkError;
use aws_sdk_dynamodb::operation::get_item::GetItemError;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use super::*;

/// An answer of the stand-in: its status, after a wait (`None`: it never comes).
type Step = (u16, Option<Duration>);

/// What the stand-in saw.
#[derive(Default)]
struct Seen {
    connections: AtomicUsize,
    requests: AtomicUsize,
}

/// A stand-in for DynamoDB that answers the requests, on connections it keeps open, with `steps` in turn
/// (then 200s): a 200 holds the item asked for.
async fn dynamodb(steps: Vec<Step>) -> (String, Arc<Seen>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let seen = Arc::new(Seen::default());
    let steps = Arc::new(Mutex::new(steps.into_iter()));
    let counted = seen.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counted.connections.fetch_add(1, Ordering::SeqCst);
            let (seen, steps) = (counted.clone(), steps.clone());
            tokio::spawn(async move {
                let mut request = [0u8; 8192];
                while socket.read(&mut request).await.is_ok_and(|read| read > 0) {
                    seen.requests.fetch_add(1, Ordering::SeqCst);
                    let (status, wait) = steps.lock().unwrap().next().unwrap_or((200, Some(Duration::ZERO)));
                    let Some(wait) = wait else { return tokio::time::sleep(Duration::from_secs(60)).await };
                    tokio::time::sleep(wait).await;
                    let body = match status {
                        200 => r#"{"Item":{"PK":{"S":"k"}}}"#,
                        _ => r#"{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"x"}"#,
                    };
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n",
                        body.len()
                    );
                    if socket.write_all(format!("{head}{body}").as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (url, seen)
}

/// A client of the stand-in with `attempts` tries and, maybe, a read timeout.
fn client(url: &str, attempts: u32, read_timeout: Option<Duration>) -> aws_sdk_dynamodb::Client {
    let mut builder = crate::dynamodb_client(Some(url)).unwrap().config().to_builder();
    builder.set_retry_config(Some(RetryConfig::standard().with_max_attempts(attempts)));
    let mut timeouts = TimeoutConfig::builder();
    timeouts.set_read_timeout(read_timeout);
    builder.set_timeout_config(Some(timeouts.build()));
    aws_sdk_dynamodb::Client::from_conf(builder.build())
}

async fn get(client: &aws_sdk_dynamodb::Client) -> Result<bool, SdkError<GetItemError, HttpResponse>> {
    let key = aws_sdk_dynamodb::types::AttributeValue::S("k".into());
    client.get_item().table_name("t").key("PK", key).send().await.map(|read| read.item().is_some())
}

#[tokio::test]
async fn a_slow_answer_is_waited_for_when_no_read_timeout_is_set() {
    // Past the SDK's upload watch (a 1 s window, then 5 s of grace), which ends an attempt whose request
    // body it never sees read to its end.
    let (url, seen) = dynamodb(vec![(200, Some(Duration::from_secs(7)))]).await;
    assert!(get(&client(&url, 1, None)).await.unwrap(), "the item read");
    assert_eq!(seen.requests.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn an_answer_past_the_read_timeout_is_a_time_out_the_sdk_tries_again() {
    let (url, seen) = dynamodb(vec![(200, None), (200, None)]).await;
    let started = Instant::now();
    let failed = get(&client(&url, 2, Some(Duration::from_millis(300)))).await.unwrap_err();
    let SdkError::DispatchFailure(failure) = &failed else { panic!("{failed:?}") };
    assert!(failure.is_timeout(), "{failed:?}");
    assert_eq!(seen.requests.load(Ordering::SeqCst), 2, "tried again");
    assert!(started.elapsed() < Duration::from_secs(3), "two reads of 300 ms and a backoff: {:?}", started.elapsed());
}

#[tokio::test]
async fn a_transient_error_is_tried_again_on_a_new_connection() {
    let (url, seen) = dynamodb(vec![(200, Some(Duration::ZERO)), (503, Some(Duration::ZERO))]).await;
    let client = client(&url, 2, None);
    assert!(get(&client).await.unwrap(), "the first read");
    assert!(get(&client).await.unwrap(), "the second read, after one 503");
    assert_eq!(seen.requests.load(Ordering::SeqCst), 3);
    // The first connection served the first read and the 503; the retry went out on a second.
    assert_eq!(seen.connections.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn no_connection_is_an_io_failure() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let failed = get(&client(&url, 1, None)).await.unwrap_err();
    let SdkError::DispatchFailure(failure) = &failed else { panic!("{failed:?}") };
    assert!(failure.is_io(), "{failed:?}");
}
