//! The AWS clients' HTTP: tally-http's client behind the SDK's `HttpClient`, so that a function carries
//! one HTTP stack (hyper's HTTP/1.1 on rustls with ring), not a second one with HTTP/2, which neither
//! DynamoDB nor EventBridge needs. The SDK's connect and read timeouts are applied as it asks; its retries
//! read a failure as the SDK's own client reports it: nothing sent, or no answer, both worth another try.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use tally_http::{HttpError, Https};

/// A connection not made within this long, when the SDK names no connect timeout, is none.
const CONNECT_TIMEOUT: Duration = Duration::from_millis(3100);

/// The client every AWS client of a function shares.
pub fn client() -> Result<SharedHttpClient, HttpError> {
    let https = Https::new(CONNECT_TIMEOUT, "tally")?;
    Ok(SharedHttpClient::new(Client { https, connectors: Mutex::default() }))
}

/// One connector per set of timeouts the SDK asks for (in practice one), each with its own connections.
#[derive(Debug)]
struct Client {
    https: Https,
    connectors: Mutex<Vec<(Timeouts, SharedHttpConnector)>>,
}

type Timeouts = (Option<Duration>, Option<Duration>);

impl HttpClient for Client {
    fn http_connector(&self, settings: &HttpConnectorSettings, _: &RuntimeComponents) -> SharedHttpConnector {
        let timeouts = (settings.connect_timeout(), settings.read_timeout());
        let mut connectors = self.connectors.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((_, connector)) = connectors.iter().find(|(made_for, _)| *made_for == timeouts) {
            return connector.clone();
        }
        let https = timeouts.0.map_or_else(|| self.https.clone(), |limit| self.https.with_connect_timeout(limit));
        let connector = SharedHttpConnector::new(Connector { https, read_timeout: timeouts.1 });
        connectors.push((timeouts, connector.clone()));
        connector
    }
}

#[derive(Debug)]
struct Connector {
    https: Https,
    read_timeout: Option<Duration>,
}

impl HttpConnector for Connector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(request) => request,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        // The AWS requests Tally makes are JSON documents, held whole.
        let Some(body) = request.body().bytes().map(bytes::Bytes::copy_from_slice) else {
            return HttpConnectorFuture::ready(Err(ConnectorError::user("a streamed request body".into())));
        };
        let (https, read_timeout) = (self.https.clone(), self.read_timeout);
        HttpConnectorFuture::new(async move {
            let exchange = https.send(request.map(|_| body));
            let answer = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, exchange).await.unwrap_or(Err(HttpError::Timeout)),
                None => exchange.await,
            };
            let response = answer.map_err(failed)?;
            HttpResponse::try_from(response.map(SdkBody::from)).map_err(|e| ConnectorError::other(e.into(), None))
        })
    }
}

/// A failure in the SDK's words, as its own client would report it: a connection never made and an answer
/// lost are I/O, which its retries try again; a request that cannot be one is the caller's.
fn failed(e: HttpError) -> ConnectorError {
    match e {
        HttpError::Timeout => ConnectorError::timeout(e.into()),
        HttpError::Connect(_) | HttpError::NoAnswer(_) => ConnectorError::io(e.into()),
        HttpError::Request(_) | HttpError::Tls(_) => ConnectorError::user(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use aws_sdk_dynamodb::config::retry::RetryConfig;
    use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
    use aws_sdk_dynamodb::error::SdkError;
    use aws_sdk_dynamodb::operation::get_item::GetItemError;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    use super::*;

    /// A stand-in for DynamoDB that answers each request with `answer`, or never (`None`), and counts them.
    async fn dynamodb(answer: Option<String>) -> (String, Arc<AtomicUsize>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let calls = Arc::new(AtomicUsize::new(0));
        let counted = calls.clone();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (counted, answer) = (counted.clone(), answer.clone());
                tokio::spawn(async move {
                    let mut request = [0u8; 8192];
                    let _ = socket.read(&mut request).await;
                    counted.fetch_add(1, Ordering::SeqCst);
                    match answer {
                        Some(answer) => drop(socket.write_all(answer.as_bytes()).await),
                        None => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        (url, calls)
    }

    fn client(url: &str, attempts: u32) -> aws_sdk_dynamodb::Client {
        let mut builder = crate::dynamodb_client(Some(url)).unwrap().config().to_builder();
        builder.set_retry_config(Some(RetryConfig::standard().with_max_attempts(attempts)));
        builder.set_timeout_config(Some(TimeoutConfig::builder().read_timeout(Duration::from_millis(300)).build()));
        aws_sdk_dynamodb::Client::from_conf(builder.build())
    }

    async fn get(client: &aws_sdk_dynamodb::Client) -> Result<bool, SdkError<GetItemError, HttpResponse>> {
        let key = aws_sdk_dynamodb::types::AttributeValue::S("k".into());
        client.get_item().table_name("t").key("PK", key).send().await.map(|read| read.item().is_some())
    }

    #[tokio::test]
    async fn dynamodb_s_answer_reaches_the_sdk() {
        let body = r#"{"Item":{"PK":{"S":"k"}}}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: application/x-amz-json-1.0\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        );
        let (url, _) = dynamodb(Some(answer)).await;
        assert!(get(&client(&url, 1)).await.unwrap(), "the item read");
    }

    #[tokio::test]
    async fn an_answer_past_the_read_timeout_is_a_time_out_the_sdk_tries_again() {
        let (url, calls) = dynamodb(None).await;
        let failed = get(&client(&url, 2)).await.unwrap_err();
        let SdkError::DispatchFailure(failure) = &failed else { panic!("{failed:?}") };
        assert!(failure.is_timeout(), "{failed:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 2, "tried again");
    }

    #[tokio::test]
    async fn no_connection_is_an_io_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        drop(listener);
        let failed = get(&client(&url, 1)).await.unwrap_err();
        let SdkError::DispatchFailure(failure) = &failed else { panic!("{failed:?}") };
        assert!(failure.is_io(), "{failed:?}");
    }
}
