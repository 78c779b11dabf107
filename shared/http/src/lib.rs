//! The one HTTPS client of every function: hyper's HTTP/1.1 client on rustls with ring and the system's
//! roots. Shopify's Admin API and its token endpoint and Klaviyo are called through `post`; the AWS clients
//! (DynamoDB, EventBridge) through `send`, behind the SDK's connector (tally-config), so that a function
//! holds one HTTP stack, without the HTTP/2 none of these services needs. It sends a request with a body
//! and reads the whole answer; what a failure means for the request (never sent, or perhaps carried out)
//! is told by `HttpError`.

use std::future::Future;
use std::iter::successors;
use std::pin::Pin;
use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{HeaderName, HeaderValue, CONTENT_TYPE, USER_AGENT};
use hyper::{Method, Request, Uri};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::connect::{capture_connection, CaptureConnection, HttpConnector};
use hyper_util::client::legacy::Client;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tower_service::Service;

pub use hyper::body::Incoming;
pub use hyper::{HeaderMap, Request as HttpRequest, Response as HttpResponse};

/// How a request failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HttpError {
    /// No connection was made: nothing was sent.
    #[error("connection failed: {0}")]
    Connect(String),
    /// No whole answer within the time given: the request may have been carried out.
    #[error("timed out")]
    Timeout,
    /// The request was sent (or may have been) and no answer could be read.
    #[error("no answer: {0}")]
    NoAnswer(String),
    /// The request could not be made (a URL or header that is not one).
    #[error("not a request: {0}")]
    Request(String),
    /// The system's TLS roots could not be loaded.
    #[error("no TLS roots: {0}")]
    Tls(String),
}

/// A whole answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// The client: cheap to clone (its connections are shared).
#[derive(Debug, Clone)]
pub struct Https {
    client: Client<Bounded, Full<Bytes>>,
    tls: HttpsConnector<HttpConnector>,
    user_agent: HeaderValue,
}

impl Https {
    /// A client that gives up connecting after `connect_timeout`. It speaks HTTPS, and plain HTTP to the
    /// local stand-ins.
    pub fn new(connect_timeout: Duration, user_agent: &'static str) -> Result<Https, HttpError> {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls()?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Https {
            client: pooled(&https, connect_timeout),
            tls: https,
            user_agent: HeaderValue::from_static(user_agent),
        })
    }

    /// The same client with another connect timeout: its own connections, the same TLS set-up (the
    /// roots are not read again).
    pub fn with_connect_timeout(&self, connect_timeout: Duration) -> Https {
        Https { client: pooled(&self.tls, connect_timeout), ..self.clone() }
    }

    /// POSTs `body` as `content_type` with `headers`, and reads the whole answer, all within `timeout`.
    pub async fn post(
        &self,
        url: &str,
        content_type: &str,
        headers: &[(&str, &str)],
        body: Vec<u8>,
        timeout: Duration,
    ) -> Result<Answer, HttpError> {
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(url)
            .header(CONTENT_TYPE, content_type)
            .header(USER_AGENT, self.user_agent.clone());
        for (name, value) in headers {
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|e| HttpError::Request(e.to_string()))?;
            let value = HeaderValue::from_str(value).map_err(|e| HttpError::Request(e.to_string()))?;
            request = request.header(name, value);
        }
        let request = request.body(Bytes::from(body)).map_err(|e| HttpError::Request(e.to_string()))?;
        let exchange = async {
            let (parts, body) = self.send(request).await?.into_parts();
            let body = body.collect().await.map_err(|e| HttpError::NoAnswer(e.to_string()))?.to_bytes();
            Ok(Answer { status: parts.status.as_u16(), headers: parts.headers, body })
        };
        tokio::time::timeout(timeout, exchange).await.unwrap_or(Err(HttpError::Timeout))
    }

    /// Sends `request` as it is made, and answers once the answer's head has come, with its body to read:
    /// no time limit but the connect timeout's, the caller bounds the rest.
    pub async fn send(&self, request: HttpRequest<Bytes>) -> Result<HttpResponse<Incoming>, HttpError> {
        self.client.request(request.map(Full::new)).await.map_err(|e| {
            let refused = successors(Some(&e as &(dyn std::error::Error + 'static)), |e| e.source())
                .filter_map(|e| e.downcast_ref::<hyper::Error>())
                .any(|e| e.is_user());
            match (e.is_connect(), refused) {
                (true, _) => HttpError::Connect(chain(&e)),
                // A request hyper would not send.
                (false, true) => HttpError::Request(chain(&e)),
                (false, false) => HttpError::NoAnswer(chain(&e)),
            }
        })
    }
}

/// The connection a request goes out on, caught as it is made, so that it can be closed after its answer
/// (the next request then gets a new one).
#[derive(Debug, Clone)]
pub struct Connection(CaptureConnection);

impl Connection {
    /// Catches the connection `request` will be sent on.
    pub fn of<B>(request: &mut HttpRequest<B>) -> Connection {
        Connection(capture_connection(request))
    }

    /// Whether the request has its connection yet.
    pub fn made(&self) -> bool {
        self.0.connection_metadata().is_some()
    }

    /// Keeps the connection out of the pool once its answer has been read.
    pub fn close(&self) {
        if let Some(connected) = self.0.connection_metadata().as_ref() {
            connected.poison();
        }
    }
}

/// The TLS set-up every client of the process shares: ring (one crypto provider in the binary, the smaller
/// one) and the system's roots, read once (a few milliseconds each time) however many clients are made.
fn tls() -> Result<rustls::ClientConfig, HttpError> {
    static TLS: OnceLock<Result<rustls::ClientConfig, HttpError>> = OnceLock::new();
    let made = TLS.get_or_init(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut roots = rustls::RootCertStore::empty();
        let (taken, _) = roots.add_parsable_certificates(system_roots());
        match taken {
            0 => Err(HttpError::Tls("no usable root certificate in the system's store".into())),
            _ => Ok(rustls::ClientConfig::builder().with_root_certificates(roots).with_no_client_auth()),
        }
    });
    made.clone()
}

/// The system's root certificates. With `SSL_CERT_FILE` or `SSL_CERT_DIR` set, what they name, as
/// rustls-native-certs reads them (a file that is not there is an error). With neither (as in Lambda),
/// `system_bundle`.
fn system_roots() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    let named = |name| std::env::var_os(name).is_some_and(|value| !value.is_empty());
    match named("SSL_CERT_FILE") || named("SSL_CERT_DIR") {
        true => rustls_native_certs::load_native_certs().certs,
        false => system_bundle(),
    }
}

/// The system's bundle of roots alone (Debian's `ca-certificates.crt`, Amazon Linux's `tls-ca-bundle.pem`,
/// …), or, where it has none, every file of its certificate folders. On Debian the folder beside the
/// bundle holds the same roots one file each (OpenSSL reads it lazily, by hash); reading both took half a
/// function's start-up there.
fn system_bundle() -> Vec<rustls::pki_types::CertificateDer<'static>> {
    let bundled = openssl_probe::probe()
        .cert_file
        .map(|bundle| rustls_native_certs::load_certs_from_paths(Some(&bundle), None).certs)
        .unwrap_or_default();
    match bundled.is_empty() {
        true => rustls_native_certs::load_native_certs().certs,
        false => bundled,
    }
}

/// A pool of connections made through `tls`, each within `limit`.
fn pooled(tls: &HttpsConnector<HttpConnector>, limit: Duration) -> Client<Bounded, Full<Bytes>> {
    let connector = Bounded { inner: tls.clone(), limit };
    // The timer lets the pool drop connections idle past the timeout.
    Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(60))
        .build(connector)
}

/// The connector, bounded as a whole (the name looked up, the TCP connection and the TLS handshake) by
/// `limit`: a connection not made in time is a connect error, so nothing was sent.
#[derive(Debug, Clone)]
struct Bounded {
    inner: HttpsConnector<HttpConnector>,
    limit: Duration,
}

type Connecting = <HttpsConnector<HttpConnector> as Service<Uri>>::Response;
type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl Service<Uri> for Bounded {
    type Response = Connecting;
    type Error = BoxError;
    type Future = Pin<Box<dyn Future<Output = Result<Connecting, BoxError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let (connecting, limit) = (self.inner.call(uri), self.limit);
        Box::pin(async move {
            match tokio::time::timeout(limit, connecting).await {
                Ok(connected) => connected,
                Err(_) => Err("no connection within the connect timeout".into()),
            }
        })
    }
}

/// An error with its causes, for the logs (hyper's own words name only the stage).
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    use tokio::net::TcpListener;

    /// A local server that answers each connection with `answer` once it has read what came (or never, for
    /// `None`).
    async fn server(answer: Option<&'static str>) -> String {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut request = [0u8; 4096];
                    let _ = socket.read(&mut request).await;
                    match answer {
                        Some(answer) => drop(socket.write_all(answer.as_bytes()).await),
                        None => tokio::time::sleep(Duration::from_secs(30)).await,
                    }
                });
            }
        });
        address.to_string()
    }

    async fn post(url: &str, headers: &[(&str, &str)], timeout: Duration) -> Result<Answer, HttpError> {
        let client = Https::new(Duration::from_millis(300), "tally/test").unwrap();
        client.post(url, "application/json", headers, b"{}".to_vec(), timeout).await
    }

    /// Debian's trusted roots are the links of `/etc/ssl/certs` into its certificate packages; the folder
    /// also holds certificates nobody trusts as roots (the `ssl-cert` package's self-signed one), which its
    /// bundle leaves out, as `system_bundle` does.
    #[test]
    fn the_system_bundle_alone_holds_every_root_the_system_trusts() {
        let ours: std::collections::HashSet<_> = system_bundle().into_iter().collect();
        assert!(!ours.is_empty(), "no root certificate found");
        let trusted = ["/usr/share/ca-certificates/", "/usr/local/share/ca-certificates/"];
        let linked: Vec<_> = std::fs::read_dir("/etc/ssl/certs")
            .map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()).collect())
            .unwrap_or_default();
        let linked: Vec<_> = linked
            .into_iter()
            .filter(|path| path.is_symlink())
            .filter(|path| std::fs::canonicalize(path).is_ok_and(|to| trusted.iter().any(|t| to.starts_with(t))))
            .collect();
        for path in &linked {
            for root in rustls_native_certs::load_certs_from_paths(Some(path), None).certs {
                assert!(ours.contains(&root), "{} is trusted and not read", path.display());
            }
        }
        if std::path::Path::new("/etc/debian_version").exists() {
            assert!(linked.len() > 100, "only {} of Debian's trusted links found", linked.len());
        }
        eprintln!("{} roots read; {} trusted links checked", ours.len(), linked.len());
    }

    #[tokio::test]
    async fn an_answer_is_read_whole_with_its_status_and_headers() {
        let at = server(Some("HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\nretry-after: 3\r\n\r\nno")).await;
        let answer = post(&format!("http://{at}/x"), &[("a", "b")], Duration::from_secs(2)).await.unwrap();
        assert_eq!((answer.status, &answer.body[..]), (429, &b"no"[..]));
        assert_eq!(answer.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("3"));
    }

    #[tokio::test]
    async fn a_handshake_that_stalls_is_a_connection_never_made() {
        // The server reads and says nothing: TLS never completes, within the connect timeout.
        let at = server(None).await;
        let started = std::time::Instant::now();
        let sent = post(&format!("https://{at}/x"), &[], Duration::from_secs(5)).await;
        assert!(matches!(sent, Err(HttpError::Connect(_))), "{sent:?}");
        assert!(started.elapsed() < Duration::from_secs(2), "bounded by the connect timeout");
    }

    #[tokio::test]
    async fn an_answer_that_never_comes_is_a_time_out_whose_outcome_is_unknown() {
        let at = server(None).await;
        let sent = post(&format!("http://{at}/x"), &[], Duration::from_millis(500)).await;
        assert_eq!(sent.unwrap_err(), HttpError::Timeout);
    }

    #[tokio::test]
    async fn a_header_that_is_not_one_is_refused_before_anything_is_sent() {
        let sent = post("http://127.0.0.1:9/x", &[("bad\n", "x")], Duration::from_secs(1)).await;
        assert!(matches!(sent, Err(HttpError::Request(_))), "{sent:?}");
    }
}
