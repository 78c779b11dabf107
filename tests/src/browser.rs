//! A real browser for the storefront tests: headless Chromium (Debian's `chromium`) driven over W3C
//! WebDriver by `chromedriver` (Debian's `chromium-driver`), both installed by `scripts/setup.sh`. Only the
//! few commands the tests need, over the HTTP the tests already speak.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{json, Value};

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";
/// How long a test waits for the page to show what it expects.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A browser session; the driver (and its browser) end when it is dropped.
pub struct Browser {
    http: reqwest::Client,
    session: String,
    driver: Child,
}

/// An element of the page, as WebDriver names it.
#[derive(Debug, Clone)]
pub struct Element(String);

/// The key under which WebDriver passes an element to and from scripts.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Element {
    /// The element as a script's argument.
    pub fn arg(&self) -> Value {
        json!({ ELEMENT: self.0 })
    }
}

impl Browser {
    /// A new headless Chromium, 1000 × 1300 CSS pixels.
    pub async fn start() -> Browser {
        let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| CHROMIUM.into());
        let driver_path = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.into());
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port();
        let driver = Command::new(&driver_path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{driver_path} does not start ({e}); scripts/setup.sh installs chromium-driver")
            });
        let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
        let base = format!("http://127.0.0.1:{port}");
        let capabilities = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1000,1300", "--lang=en-US", "--force-device-scale-factor=1"]
        }}}});
        let started = Instant::now();
        let session = loop {
            match http.post(format!("{base}/session")).json(&capabilities).send().await {
                Ok(response) => {
                    let body: Value = response.json().await.expect("the driver answers JSON");
                    let id = body["value"]["sessionId"].as_str();
                    break id.unwrap_or_else(|| panic!("no browser session: {body}")).to_string();
                }
                Err(_) if started.elapsed() < PATIENCE => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(e) => panic!("chromedriver does not answer: {e}"),
            }
        };
        Browser { http, session: format!("{base}/session/{session}"), driver }
    }

    async fn command(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut request = self.http.request(method, format!("{}{path}", self.session));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let answer: Value = request.send().await.expect("the driver answers").json().await.expect("JSON");
        if let Some(error) = answer["value"]["error"].as_str() {
            panic!("WebDriver {path}: {error}: {}", answer["value"]["message"]);
        }
        answer["value"].clone()
    }

    pub async fn goto(&self, url: &str) {
        self.command(reqwest::Method::POST, "/url", Some(json!({"url": url}))).await;
    }

    /// Runs `script` (a function body; `arguments` holds `args`) in the page and returns what it returns.
    pub async fn run(&self, script: &str, args: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/sync", Some(json!({"script": script, "args": args}))).await
    }

    /// Runs `script` with a callback as its last argument, and returns what it passes the callback.
    pub async fn run_async(&self, script: &str, args: Value) -> Value {
        self.command(reqwest::Method::POST, "/execute/async", Some(json!({"script": script, "args": args}))).await
    }

    /// The first element `css` matches, once one does.
    pub async fn find(&self, css: &str) -> Element {
        self.wait(&format!("`{css}` on the page"), async || self.try_find(css).await).await
    }

    async fn try_find(&self, css: &str) -> Option<Element> {
        let found = self.run("return document.querySelector(arguments[0]) !== null", json!([css])).await;
        if found != json!(true) {
            return None;
        }
        let answer =
            self.command(reqwest::Method::POST, "/element", Some(json!({"using": "css selector", "value": css}))).await;
        answer[ELEMENT].as_str().map(|id| Element(id.into()))
    }

    /// Waits until `css` matches an element whose text satisfies `wanted`; returns the text.
    pub async fn text_of(&self, css: &str, what: &str, wanted: impl Fn(&str) -> bool) -> String {
        self.wait(what, async || {
            let text =
                self.run("const e = document.querySelector(arguments[0]); return e && e.innerText", json!([css]));
            text.await.as_str().map(str::to_string).filter(|t| wanted(t))
        })
        .await
    }

    /// Polls `probe` until it gives something, or panics with `what` after `PATIENCE`.
    pub async fn wait<T>(&self, what: &str, probe: impl AsyncFn() -> Option<T>) -> T {
        let started = Instant::now();
        loop {
            if let Some(found) = probe().await {
                return found;
            }
            if started.elapsed() > PATIENCE {
                let page = self.run("return document.body.innerText", json!([])).await;
                panic!("waited {PATIENCE:?} for {what}; the page shows:\n{}", page.as_str().unwrap_or_default());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn click(&self, element: &Element) {
        self.command(reqwest::Method::POST, &format!("/element/{}/click", element.0), Some(json!({}))).await;
    }

    /// Types into the element, which takes the focus first (`\u{E007}` is Enter, `\u{E004}` Tab).
    pub async fn keys(&self, element: &Element, text: &str) {
        let body = json!({"text": text});
        self.command(reqwest::Method::POST, &format!("/element/{}/value", element.0), Some(body)).await;
    }

    /// A PNG of the element, written to `path`.
    pub async fn screenshot(&self, element: &Element, path: &std::path::Path) {
        let png = self.command(reqwest::Method::GET, &format!("/element/{}/screenshot", element.0), None).await;
        let bytes = base64::engine::general_purpose::STANDARD.decode(png.as_str().expect("base64")).expect("a PNG");
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).expect("the screenshot folder");
        }
        std::fs::write(path, bytes).expect("the screenshot is written");
    }

    /// Ends the session and the browser.
    pub async fn quit(mut self) {
        let _ = self.http.delete(&self.session).send().await;
        let _ = self.driver.kill();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}
