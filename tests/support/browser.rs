//! A real headless Chromium driven through chromedriver (Debian's `chromium` and
//! `chromium-driver`, installed by `scripts/test`).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::wait::eventually;

/// A browser session; the driver process ends with it.
pub struct Browser {
    pub client: fantoccini::Client,
    driver: Child,
}

const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

impl Browser {
    /// Starts chromedriver on a free port and opens a headless session `width` pixels wide.
    pub async fn start(width: u32, height: u32) -> Browser {
        assert!(
            std::path::Path::new(CHROMEDRIVER).exists(),
            "{CHROMEDRIVER} is missing: run the suite with scripts/test, which installs chromium and chromium-driver"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = std::env::temp_dir().join(format!("md-chrome-{port}"));
        let caps: serde_json::Map<String, serde_json::Value> = serde_json::from_value(serde_json::json!({
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        }))
        .unwrap();
        let client = eventually("chromedriver to start", Duration::from_secs(20), || async {
            fantoccini::ClientBuilder::new(
                hyper_util::client::legacy::connect::HttpConnector::new(),
            )
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        })
        .await;
        Browser { client, driver }
    }

    /// A browser with a phone's viewport (390 × 844 CSS pixels, touch): headless Chromium
    /// keeps windows at least 500 px wide, so the viewport is emulated.
    pub async fn phone() -> Browser {
        let browser = Browser::start(390, 844).await;
        cdp(
            &browser.client,
            "Emulation.setDeviceMetricsOverride",
            serde_json::json!({"width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true}),
        )
        .await;
        browser
    }

    /// Clicks the link whose text is `text`.
    pub async fn click_link(&self, text: &str) {
        self.click_on(fantoccini::Locator::LinkText(text)).await;
    }

    /// Clicks the element `css` selects.
    pub async fn click(&self, css: &str) {
        self.click_on(fantoccini::Locator::Css(css)).await;
    }

    /// Types `text` into the element `css` selects.
    pub async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(fantoccini::Locator::Css(css)).await;
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("type into {css}: {e}"));
    }

    async fn click_on(&self, locator: fantoccini::Locator<'_>) {
        let element = self.find(locator).await;
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {locator:?}: {e}"));
    }

    async fn find(&self, locator: fantoccini::Locator<'_>) -> fantoccini::elements::Element {
        self.client
            .find(locator)
            .await
            .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
    }

    /// Saves a screenshot as `target/screenshots/NAME.png`.
    pub async fn screenshot(&self, name: &str) {
        let png = self.client.screenshot().await.expect("screenshot");
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }

    /// Runs `script` (a function body) in the page until it returns a non-null value.
    pub async fn wait_for(&self, script: &str, timeout: Duration) -> serde_json::Value {
        eventually(&format!("a value from: {script}"), timeout, || async {
            let value = self
                .client
                .execute(script, vec![])
                .await
                .expect("script runs");
            (!value.is_null()).then_some(value)
        })
        .await
    }

    /// Ends the session and the driver.
    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}

/// Whether the page is no wider than the viewport (no sideways scrolling).
pub async fn fits_the_screen(browser: &Browser) -> serde_json::Value {
    browser
        .wait_for(
            "return document.documentElement.scrollWidth <= window.innerWidth;",
            Duration::from_secs(5),
        )
        .await
}

/// The names of form controls (inputs, menus, text areas) without a label.
pub async fn unlabelled_inputs(browser: &Browser) -> serde_json::Value {
    browser
        .wait_for(
            "return [...document.querySelectorAll('input:not([type=hidden]), select, textarea')] \
               .filter(i => i.labels.length === 0).map(i => i.name || i.id);",
            Duration::from_secs(5),
        )
        .await
}

/// A Chrome DevTools command through chromedriver.
#[derive(Debug)]
struct Cdp(serde_json::Value);

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (reqwest::Method, Option<String>) {
        (reqwest::Method::POST, Some(self.0.to_string()))
    }
}

pub async fn cdp(client: &fantoccini::Client, cmd: &str, params: serde_json::Value) {
    client
        .issue_cmd(Cdp(serde_json::json!({ "cmd": cmd, "params": params })))
        .await
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
}

/// Asserts what every dashboard page must do on any screen: fit it without sideways
/// scrolling, label every form control, give every image a text alternative; then saves a
/// screenshot `name`.
pub async fn check_page(browser: &Browser, name: &str) {
    assert_eq!(
        fits_the_screen(browser).await,
        true,
        "{name} fits the screen"
    );
    assert_eq!(
        unlabelled_inputs(browser).await,
        serde_json::json!([]),
        "{name}"
    );
    let unnamed_images = browser
        .wait_for(
            "return [...document.querySelectorAll('img:not([alt]), svg:not([role=img]):not([aria-hidden])')].length;",
            Duration::from_secs(10),
        )
        .await;
    assert_eq!(unnamed_images, 0, "{name}: images have text alternatives");
    browser.screenshot(name).await;
}
