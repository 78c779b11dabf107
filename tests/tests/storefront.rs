//! The storefront in a real browser: headless Chromium opens the demo shop's page, which the emulator
//! renders from the theme app extension, and the widget talks to Tally through the emulator's App Proxy.
//! What is asserted is what a shopper sees.

use std::path::PathBuf;

use serde_json::{json, Value};
use tally_tests::browser::Browser;
use tally_tests::Stack;

/// Where the screenshots go (the README shows a copy of the first).
fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/screenshots").join(name)
}

/// The Redeem button of the option named `name`.
async fn option_button(browser: &Browser, name: &str) -> tally_tests::browser::Element {
    let index = browser
        .wait(&format!("the option {name}"), async || {
            let script = "return [...document.querySelectorAll('[data-option]')].findIndex(o => \
                          o.querySelector('.tally__option-name').textContent === arguments[0])";
            browser.run(script, json!([name])).await.as_i64().filter(|i| *i >= 0)
        })
        .await;
    browser.find(&format!("[data-option]:nth-child({}) button", index + 1)).await
}

/// The layout shifts the page has had so far that no input caused (Cumulative Layout Shift), and what moved.
async fn layout_shift(browser: &Browser) -> (f64, Value) {
    let script = "const done = arguments[arguments.length - 1]; let total = 0; const moved = []; \
        const name = n => n && n.nodeType === 1 ? n.tagName.toLowerCase() + (n.className ? '.' + n.className : '') : String(n); \
        new PerformanceObserver(list => { for (const e of list.getEntries()) if (!e.hadRecentInput) { total += e.value; \
          for (const s of e.sources || []) moved.push({node: name(s.node), from: s.previousRect, to: s.currentRect, at: e.startTime}); } }) \
          .observe({type: 'layout-shift', buffered: true}); \
        setTimeout(() => done({total, moved: JSON.parse(JSON.stringify(moved))}), 300);";
    let answer = browser.run_async(script, json!([])).await;
    (answer["total"].as_f64().expect("a number"), answer["moved"].clone())
}

#[tokio::test]
async fn a_shopper_redeems_on_the_storefront() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    // Logged out: a link to log in, and nothing asked of Tally.
    browser.goto(&stack.storefront(&shop, None)).await;
    let login = browser.find(".tally__login a").await;
    let href = browser.run("return arguments[0].getAttribute('href')", json!([login.arg()])).await;
    assert_eq!(href, json!(format!("/shops/{}/account/login", shop.domain)));
    let text = browser.text_of(".tally__login", "the login link", |t| !t.is_empty()).await;
    assert_eq!(text.trim(), "Log in to redeem");

    // Customer 1001: 2,500 points, the options, the ones out of reach greyed with the reason.
    browser.goto(&stack.storefront(&shop, Some(1001))).await;
    browser.text_of("[data-points]", "2,500 points", |t| t == "2,500 points").await;
    let expiry = browser.text_of("[data-expiry]", "the next expiry", |t| t.contains("expire")).await;
    assert!(expiry.starts_with("500 points expire on "), "the demo's expiring lot: {expiry}");
    browser.screenshot(&browser.find("section.tally").await, &screenshot("widget-before-redemption.png")).await;
    let platinum = browser.text_of("[data-option]:last-child", "the Platinum option", |t| t.contains("Platinum")).await;
    assert!(platinum.contains("For Platinum members"), "{platinum}");
    let greyed = browser.run("return [...document.querySelectorAll('.tally__option--unavailable .tally__option-name')].map(e => e.textContent)", json!([])).await;
    assert_eq!(greyed, json!(["$25 off for Platinum members"]), "1001 can afford the rest");
    let (shift, moved) = layout_shift(&browser).await;
    println!("storefront: layout shift while the widget loaded: {shift:.4}");
    assert!(shift < 0.01, "the page moved while the widget loaded: {shift}: {moved:#}");

    // Redeem $5 off: the code, a Copy button, the checkout link, 2,000 points, announced.
    browser.click(&option_button(&browser, "$5 off").await).await;
    let code = browser.text_of(".tally__code", "the code", |t| !t.is_empty()).await;
    browser.text_of("[data-points]", "2,000 points", |t| t == "2,000 points").await;
    let expiry = browser.text_of("[data-expiry]", "the expiry line", |t| !t.contains("expire")).await;
    assert_eq!(expiry.trim(), "", "the expiring points were spent first");
    let announced = browser.text_of("[data-status]", "the announcement", |t| t.contains(&code)).await;
    assert!(announced.contains("2,000 points left"), "{announced}");
    let live = browser.run("return document.querySelector('[data-status]').getAttribute('aria-live')", json!([])).await;
    assert_eq!(live, json!("polite"));
    let links = browser.run("return [...document.querySelectorAll('.tally__result a, .tally__result button')].map(e => [e.textContent, e.getAttribute('href')])", json!([])).await;
    assert_eq!(
        links,
        json!([["Copy", null], ["Apply at checkout", format!("/shops/{}/discount/{code}", shop.domain)]])
    );
    browser.click(&browser.find(".tally__history summary").await).await;
    let history = browser.text_of("[data-rewards]", "the reward in the history", |t| t.contains(&code)).await;
    assert!(history.contains("Ready to use"), "{history}");
    let widget = browser.find("section.tally").await;
    browser.screenshot(&widget, &screenshot("widget-after-redemption.png")).await;
    let discounts = stack.discounts(&shop).await;
    assert!(discounts.iter().any(|d| d["code"] == code.as_str()), "Shopify has the code: {discounts:?}");

    // Shopify failing: the message, and the points untouched. Keyboard: Enter on the focused button.
    stack.control("POST", "/__emulator/faults", json!({"mode": "error", "rate": 1.0})).await;
    browser.keys(&option_button(&browser, "Free shipping").await, "\u{E007}").await;
    browser.text_of("[data-status]", "the Shopify error", |t| t == "No points were taken. Please try again.").await;
    stack.control("DELETE", "/__emulator/faults", Value::Null).await;
    assert_eq!(browser.text_of("[data-points]", "the balance", |t| !t.is_empty()).await, "2,000 points");
    assert_eq!(stack.balance(&shop, 1001).await, 2000);
    browser.screenshot(&browser.find("section.tally").await, &screenshot("widget-shopify-unavailable.png")).await;

    // A double click makes one reward.
    let rewards_before = stack.loyalty(&shop, 1001).await["rewardsCount"].as_u64().unwrap();
    let button = option_button(&browser, "Free shipping").await;
    browser.run("arguments[0].click(); arguments[0].click();", json!([button.arg()])).await;
    browser.text_of("[data-points]", "1,700 points", |t| t == "1,700 points").await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let loyalty = stack.loyalty(&shop, 1001).await;
    assert_eq!(
        (loyalty["rewardsCount"].as_u64().unwrap(), loyalty["availablePoints"].as_i64()),
        (rewards_before + 1, Some(1700))
    );

    // A variable rule: the shopper chooses the points, and gets exactly what they buy.
    let variable = json!({"name": "Points off", "rewardType": "FIXED_AMOUNT",
                          "variable": {"pointsStep": 100, "valuePerStep": "1.00", "minPoints": 100, "maxPoints": 1000}});
    stack.rule(&shop, variable).await;
    browser.goto(&stack.storefront(&shop, Some(1001))).await;
    browser.text_of("[data-points]", "1,700 points", |t| t == "1,700 points").await;
    let cost = browser.text_of("[data-option]:first-child", "the variable option", |t| t.contains("Points off")).await;
    assert!(cost.contains("100–1,000 points"), "{cost}");
    let chooser = browser.find("[data-option]:first-child .tally__points-input").await;
    browser.run("arguments[0].value = '300'", json!([chooser.arg()])).await;
    browser.click(&option_button(&browser, "Points off").await).await;
    browser.text_of("[data-points]", "1,400 points", |t| t == "1,400 points").await;
    let loyalty = stack.loyalty(&shop, 1001).await;
    assert_eq!(
        (loyalty["rewards"][0]["pointsRedeemed"].as_i64(), loyalty["rewards"][0]["amount"].as_f64()),
        (Some(300), Some(3.0))
    );
    browser.screenshot(&browser.find("section.tally").await, &screenshot("widget-variable.png")).await;

    browser.quit().await;
}
