//! The AWS clients' HTTP: tally-http's client behind the SDK's `HttpClient`, so that a function carries
//! one HTTP stack (hyper's HTTP/1.1 on rustls with ring), not a second one with HTTP/2, which neither
//! DynamoDB nor EventBridge needs. The SDK's connect and read timeouts (the read timeout up to the answer's
//! head) are applied as it asks, its stalled-answer watch reads the body, it may close a connection after a
//! transient error, and its retries read a failure as the SDK's own client reports it.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use aws_smithy_runtime_api::client::connection::{CaptureSmithyConnection, ConnectionMetadata};
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use http_body_util::BodyExt;
use tally_http::{Connection, HttpError, HttpRequest as HttpRequest1x, Https};

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
        let (https, read_timeout) = (self.https.clone(), self.read_timeout);
        HttpConnectorFuture::new(async move {
            // The AWS requests Tally makes are JSON documents, held whole: read to their end here, which also
            // tells the SDK's watch on uploads that this one is done.
            let (parts, body) = request.into_parts();
            let body = body.collect().await.map_err(ConnectorError::user)?.to_bytes();
            let mut request = HttpRequest1x::from_parts(parts, body);
            // The SDK closes a connection that brought a transient error, so that its retry goes out on another.
            let connection = Connection::of(&mut request);
            if let Some(capture) = request.extensions().get::<CaptureSmithyConnection>() {
                capture.set_connection_retriever(move || {
                    let closing = connection.clone();
                    let metadata = ConnectionMetadata::builder().proxied(false).poison_fn(move || closing.close());
                    connection.made().then(|| metadata.build())
                });
            }
            // On the heap: hyper's future is deep, and an unoptimised build's callers' stacks are not.
            let exchange = Box::pin(https.send(request));
            let answer = match read_timeout {
                Some(limit) => tokio::time::timeout(limit, exchange).await.unwrap_or(Err(HttpError::Timeout)),
                None => exchange.await,
            };
            // The body is read by the SDK, under its own watch for an answer that stalls.
            let response = answer.map_err(failed)?.map(SdkBody::from_body_1_x);
            HttpResponse::try_from(response).map_err(|e| ConnectorError::other(e.into(), None))
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
mod tests;
