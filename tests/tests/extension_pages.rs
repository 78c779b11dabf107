//! Tally's UI extensions as shoppers meet them, in a real headless Chromium: the emulator's customer-account,
//! checkout and thank-you stand-ins load the extensions' real bundles (`shopify/dist`), which call the local
//! API with session tokens the emulator signs with the shop's client secret.

use std::path::PathBuf;

use serde_json::{json, Value};
use tally_tests::browser::Browser;
use tally_tests::{Stack, TestShop};

/// Where the screenshots go (the README shows copies of them, under docs/).
fn screenshot(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.cache/screenshots").join(name)
}

fn page(stack: &Stack, shop: &TestShop, path: &str) -> String {
    format!("{}/shops/{}/{path}", stack.emulator, shop.domain)
}

/// Waits until the extension has run and its calls to Tally have settled, then until it shows what is
/// `wanted`; returns what it shows, after checking nothing went wrong in it.
async fn rendered(browser: &Browser, wanted: impl Fn(&str) -> bool) -> String {
    settled(browser).await;
    let text = browser.text_of(".host-main", "the extension's content", wanted).await;
    let errors = browser.run("return window.hostErrors", json!([])).await;
    assert_eq!(errors, json!([]), "the extension ran without errors");
    text
}

/// Waits until the extension has run and every call it made to Tally has an answer; returns how many it made.
async fn settled(browser: &Browser) -> u64 {
    let script = "const c = window.hostCalls; return document.documentElement.dataset.extensionReady === 'true' \
        && c.started === c.settled ? c.tally : null";
    // Settled, and still so after a quiet while: an extension's effects start their calls after its first
    // paint, and a call starts only once its session token is in hand.
    browser
        .wait("the extension to run and its calls to settle", async || {
            let before = browser.run(script, json!([])).await.as_u64()?;
            tokio::time::sleep(std::time::Duration::from_millis(400)).await;
            let after = browser.run(script, json!([])).await.as_u64()?;
            (before == after).then_some(after)
        })
        .await
}

fn code_in(text: &str) -> String {
    let start = text.find("DEMO-").unwrap_or_else(|| panic!("a code on the page: {text}"));
    text[start..].split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')).next().unwrap().to_string()
}

#[tokio::test]
async fn in_customer_accounts_a_shopper_redeems_the_5_option_and_sees_the_code_and_the_new_balance() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    browser.goto(&page(&stack, &shop, "account?customer=1001")).await;
    let profile = rendered(&browser, |t| t.contains("2,500 points")).await;
    assert!(profile.contains("View rewards"), "{profile}");
    assert!(profile.contains("500 points expire on"), "the next expiry: {profile}");
    browser.screenshot(&browser.find(".host-main").await, &screenshot("account-profile.png")).await;

    browser.goto(&page(&stack, &shop, "account/rewards?customer=1001")).await;
    let before = rendered(&browser, |t| t.contains("You have 2,500 points") && t.contains("Free mug")).await;
    assert!(before.contains("For Platinum members"), "why the Platinum option is out of reach: {before}");
    browser.click(&browser.find("#option-1 s-button").await).await;
    let after = browser.text_of(".host-main", "the code and the new balance", |t| {
        t.contains("Use code DEMO-") && t.contains("You have 2,000 points")
    });
    let after = after.await;
    let code = code_in(&after);
    assert!(stack.discounts(&shop).await.iter().any(|d| d["code"] == code.as_str()), "{code} is in Shopify");
    assert_eq!(stack.balance(&shop, 1001).await, 2000);
    assert!(after.contains("Redeemed"), "the activity shows the redemption: {after}");
    browser.screenshot(&browser.find(".host-main").await, &screenshot("account-rewards.png")).await;

    // The free mug's chooser names its products (from the Storefront API), not their ids.
    let names =
        browser.run("return [...document.querySelectorAll('#option-4 s-option')].map(o => o.textContent)", json!([]));
    let names = names.await;
    assert!(
        names.as_array().is_some_and(|n| n.len() == 2 && n.iter().all(|n| !n.as_str().unwrap().starts_with('#'))),
        "{names}"
    );

    // An order with the code: its status page says what it spent.
    let order = stack.order(&shop, json!({"codes": [code], "customerId": 1001})).await;
    let order_id = order["order"]["id"].as_u64().expect("the order's id");
    browser.goto(&page(&stack, &shop, &format!("account/orders/{order_id}?customer=1001"))).await;
    let status = rendered(&browser, |t| t.contains("This order used 500 points")).await;
    assert!(status.contains("You have 2,000 points left"), "{status}");

    browser.goto(&page(&stack, &shop, "account/rewards?customer=1001&locale=fr")).await;
    let french = rendered(&browser, |t| t.contains("Vous avez")).await;
    assert!(french.contains("Échanger") && french.contains("Échangés"), "the options and the activity: {french}");
    browser.quit().await;
}

#[tokio::test]
async fn in_checkout_a_shopper_redeems_and_the_code_is_applied_and_the_thank_you_page_says_what_is_left() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    // The balance Tally's events keep on the customer: checkout's first paint takes it from there.
    stack.keep_standing(&shop, 1001, 2500).await;

    browser.goto(&page(&stack, &shop, "checkout?customer=1001&subtotal=40.00")).await;
    let offered = rendered(&browser, |t| t.contains("Use 500 points: $5 off")).await;
    let calls = browser.run("return window.hostCalls.tally", json!([])).await;
    assert_eq!(calls, json!(1), "one call at load: the options (the balance is the metafield's)");
    assert!(offered.contains("You have 2,500 points"), "from the metafield: {offered}");
    assert!(
        offered.contains("Free shipping") && !offered.contains("store credit") && !offered.contains("Platinum"),
        "{offered}"
    );
    browser.screenshot(&browser.find(".host-main").await, &screenshot("checkout-reductions.png")).await;
    browser.click(&browser.find("#redeem-1").await).await;
    let applied = browser.text_of(".host-main", "the code applied", |t| t.contains(" applied")).await;
    assert!(applied.contains("You have 2,000 points"), "the balance the redemption left: {applied}");
    let code = code_in(&applied);
    let state = stack.control("GET", &format!("/__emulator/shops/{}/state", shop.domain), Value::Null).await;
    assert_eq!(state["appliedCodes"], json!([code]), "applyDiscountCodeChange reached the checkout");
    assert_eq!(stack.balance(&shop, 1001).await, 2000);
    browser.screenshot(&browser.find(".host-main").await, &screenshot("checkout-applied.png")).await;

    // A cart under the $5 option's $25 minimum is not offered it.
    browser.goto(&page(&stack, &shop, "checkout?customer=1001&subtotal=20.00")).await;
    let small = rendered(&browser, |t| t.contains("Free shipping")).await;
    assert!(!small.contains("$5 off"), "{small}");

    let order = stack.order(&shop, json!({"codes": [code], "customerId": 1001})).await;
    let order_id = order["order"]["id"].as_u64().expect("the order's id");
    browser.goto(&page(&stack, &shop, &format!("thank-you/{order_id}?customer=1001"))).await;
    let thanks = rendered(&browser, |t| t.contains("This order used 500 points")).await;
    assert!(thanks.contains("You have 2,000 points left"), "{thanks}");
    browser.screenshot(&browser.find(".host-main").await, &screenshot("thank-you.png")).await;
    browser.quit().await;
}

#[tokio::test]
async fn a_guest_or_a_checkout_without_network_access_sees_nothing_and_nothing_breaks() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;
    let quiet = [
        "checkout?subtotal=40.00",
        "thank-you/1",
        "checkout?customer=1001&network=off",
        "thank-you/1?customer=1001&network=off",
    ];
    for path in quiet {
        browser.goto(&page(&stack, &shop, path)).await;
        assert_eq!(settled(&browser).await, 0, "{path} calls nothing");
        let shown = rendered(&browser, |_| true).await;
        assert_eq!(shown.trim(), "", "{path} shows nothing");
    }
    // The same page with network access and a customer calls Tally and shows the options: the quiet pages
    // above are quiet because of the guest or the capability, not because nothing works.
    browser.goto(&page(&stack, &shop, "checkout?customer=1001&subtotal=40.00")).await;
    assert_eq!(settled(&browser).await, 1);
    assert!(rendered(&browser, |t| t.contains("Use 500 points")).await.contains("$5 off"));
    browser.quit().await;
}
