//! The storefront in a real browser: headless Chromium opens the demo shop's page, which the emulator
//! renders from the theme app extension, and the widget talks to Tally through the emulator's App Proxy.
//! What is asserted is what a shopper sees: in English and in French, with the products' names, and with text
//! that meets WCAG AA contrast in a theme without colour variables and in light and dark colour schemes.

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

/// `url` with `parameter` added to its query.
fn with(url: &str, parameter: &str) -> String {
    format!("{url}{}{parameter}", if url.contains('?') { '&' } else { '?' })
}

/// Text as Intl writes French numbers (narrow no-break spaces between thousands), with plain spaces.
fn spaces(text: &str) -> String {
    text.replace(['\u{202f}', '\u{a0}'], " ").trim().to_string()
}

/// The WCAG contrast ratio of every piece of the widget's text against what is behind it: the element's
/// colour laid over its backgrounds, from the page's up to its own, as the browser computed them.
const CONTRAST: &str = r#"
    const rgba = css => {
      const n = css.match(/-?[\d.]+(e-?\d+)?/g).map(Number), scale = css.startsWith('color(') ? 255 : 1;
      return [n[0] * scale, n[1] * scale, n[2] * scale, n.length > 3 ? n[3] : 1];
    };
    const over = (top, base) => [0, 1, 2].map(i => top[i] * top[3] + base[i] * (1 - top[3])).concat(1);
    const behind = element => {
      const layers = [];
      for (let e = element; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
      return layers.reverse().reduce((base, layer) => over(layer, base), [255, 255, 255, 1]);
    };
    const luminance = c => c.slice(0, 3).map(v => v / 255).map(v => v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4)
      .reduce((sum, v, i) => sum + v * [0.2126, 0.7152, 0.0722][i], 0);
    const ratio = (a, b) => { const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x); return (hi + 0.05) / (lo + 0.05); };
    const texts = '.tally__title, .tally__points, .tally__expiry, .tally__subtitle, .tally__option-name, .tally__option-cost, ' +
      '.tally__option-reason, .tally__button, .tally__variant, .tally__hint, .tally__history summary, .tally__status';
    return [...document.querySelectorAll(texts)].filter(e => e.offsetParent && e.textContent.trim()).map(e => {
      const background = behind(e), color = over(rgba(getComputedStyle(e).color), background);
      return {what: e.className || e.tagName.toLowerCase(), text: e.textContent.trim().slice(0, 40),
              ratio: Math.round(ratio(color, background) * 100) / 100};
    });"#;

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
    // Found by its name: rewards made in the same second list in no set order (their ids' low bits).
    let rewards = loyalty["rewards"].as_array().unwrap();
    let bought = rewards.iter().find(|r| r["description"] == "Points off").expect("the variable rule's reward");
    assert_eq!((bought["pointsRedeemed"].as_i64(), bought["amount"].as_f64()), (Some(300), Some(3.0)));
    browser.screenshot(&browser.find("section.tally").await, &screenshot("widget-variable.png")).await;

    browser.quit().await;
}

#[tokio::test]
async fn the_widget_speaks_the_shopper_s_language() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    browser.goto(&with(&stack.storefront(&shop, None), "locale=fr")).await;
    let login = browser.text_of(".tally__login", "the login link", |t| !t.is_empty()).await;
    assert_eq!(login.trim(), "Connectez-vous pour échanger vos points");

    // The block's words from the locale, the script's too, numbers and dates by Intl in French.
    browser.goto(&with(&stack.storefront(&shop, Some(1001)), "locale=fr")).await;
    assert_eq!(browser.run("return document.documentElement.lang", json!([])).await, json!("fr"));
    assert_eq!(browser.text_of(".tally__title", "the heading", |t| !t.is_empty()).await, "Vos récompenses");
    let points = browser.text_of("[data-points]", "the balance", |t| !t.trim().is_empty()).await;
    assert_eq!(spaces(&points), "2 500 points");
    let expiry = browser.text_of("[data-expiry]", "the next expiry", |t| t.contains("expir")).await;
    assert!(spaces(&expiry).starts_with("500 points expirent le "), "{expiry}");
    let platinum = browser.text_of("[data-option]:last-child", "the Platinum option", |t| t.contains("Platinum")).await;
    assert!(platinum.contains("Réservé aux membres Platinum"), "{platinum}");
    let button = option_button(&browser, "$5 off").await;
    assert_eq!(browser.run("return arguments[0].textContent", json!([button.arg()])).await, json!("Échanger"));
    browser.screenshot(&browser.find("section.tally").await, &screenshot("widget-french.png")).await;

    // A redemption, said in French with its numbers filled in.
    browser.click(&button).await;
    let code = browser.text_of(".tally__code", "the code", |t| !t.is_empty()).await;
    let announced = browser.text_of("[data-status]", "the announcement", |t| t.contains(&code)).await;
    assert_eq!(
        spaces(&announced),
        format!("Vous avez échangé 500 points. Votre code est {code}. Il vous reste 2 000 points.")
    );
    let links = browser
        .run(
            "return [...document.querySelectorAll('.tally__result a, .tally__result button')].map(e => e.textContent)",
            json!([]),
        )
        .await;
    assert_eq!(links, json!(["Copier", "Utiliser au paiement"]));
    browser.quit().await;
}

#[tokio::test]
async fn the_free_product_chooser_names_the_products() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    // The demo's free mug comes in blue (40001) and red (40002): the Storefront API names them.
    browser.goto(&stack.storefront(&shop, Some(1001))).await;
    let chooser = browser.find("[data-option] .tally__variant").await;
    let choices = browser
        .run("return [...arguments[0].options].map(o => [o.value, o.textContent])", json!([chooser.arg()]))
        .await;
    assert_eq!(choices, json!([["40001", "Mug – Blue"], ["40002", "Mug – Red"]]));
    browser.quit().await;
}

#[tokio::test]
async fn the_widget_s_text_meets_wcag_aa_contrast_in_light_and_dark_themes() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let browser = Browser::start().await;

    // A theme without colour variables (the widget's own colours), and Dawn's light and dark schemes.
    for scheme in ["", "light", "dark"] {
        let url = stack.storefront(&shop, Some(1001));
        browser.goto(&if scheme.is_empty() { url } else { with(&url, &format!("scheme={scheme}")) }).await;
        browser.text_of("[data-option]:last-child", "the options", |t| t.contains("Platinum")).await;
        // The status line in its error colour: why the Platinum reward is out of reach.
        browser.click(&option_button(&browser, "$25 off for Platinum members").await).await;
        browser.text_of("[data-status]", "the reason", |t| t.contains("Platinum")).await;
        let measured = browser.run(CONTRAST, json!([])).await;
        let measured = measured.as_array().expect("the texts measured");
        assert!(measured.len() > 10, "the widget's texts are found: {measured:?}");
        let lowest =
            measured.iter().min_by(|a, b| a["ratio"].as_f64().unwrap().total_cmp(&b["ratio"].as_f64().unwrap()));
        println!("storefront: lowest contrast with scheme {scheme:?}: {lowest:?}");
        for text in measured {
            assert!(text["ratio"].as_f64().unwrap() >= 4.5, "below WCAG AA with scheme {scheme:?}: {text}");
        }
        if !scheme.is_empty() {
            let name = format!("widget-{scheme}-scheme.png");
            browser.screenshot(&browser.find("section.tally").await, &screenshot(&name)).await;
        }
    }
    browser.quit().await;
}

#[tokio::test]
async fn the_first_paint_shows_the_balance_the_metafield_keeps_and_the_answer_takes_its_place() {
    let stack = Stack::start().await;
    let shop = stack.demo_shop().await;
    let page = |customer| stack.http.get(stack.storefront(&shop, Some(customer))).send();
    let before: String = page(1001).await.unwrap().text().await.unwrap();
    let points = |html: &str| {
        let start = html.find("data-points>").map(|i| i + "data-points>".len()).unwrap_or(0);
        html[start..].split('<').next().unwrap_or_default().trim().to_string()
    };
    assert_eq!(points(&before), "&nbsp;", "no metafield yet: the line is kept, empty");
    stack.keep_standing(&shop, 1001, 2500).await;
    let html: String = page(1001).await.unwrap().text().await.unwrap();
    assert_eq!(points(&html), "2500 points", "painted by the theme, before any call");

    let browser = Browser::start().await;
    browser.goto(&stack.storefront(&shop, Some(1001))).await;
    browser.text_of("section.tally [data-points]", "the balance from Tally", |t| t == "2,500 points").await;
    browser.quit().await;
}
