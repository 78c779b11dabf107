//! The app block rendered as Shopify renders it, with the filters Shopify adds to Liquid that it uses:
//! `asset_url`, `t` (with the extension's locale files) and `json`.

use std::fmt;
use std::sync::Arc;

use liquid_core::parser::{FilterArguments, ParameterReflection};
use liquid_core::{Display_filter, Expression, Filter, FilterReflection, ParseFilter, Runtime, Value, ValueView};
use serde_json::{json, Value as Json};

/// The theme app extension, read from the repository on every request.
pub const EXTENSION: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shopify/extensions/loyalty");

/// The app block as Shopify renders it, and the language it is in: the Liquid before `{% schema %}`, with the
/// schema's setting defaults as `block.settings`, `customer` (nil when logged out; its `id`, and the
/// `metafields` the app keeps on it, by namespace and key, each with its `value`), this shop's `routes`,
/// `request.origin` (where the shop's root is, which for the emulator is a path) and `request.locale`.
pub fn render_block(
    domain: &str,
    customer: Option<Json>,
    translations: Translations,
) -> Result<(String, String), String> {
    let source = std::fs::read_to_string(format!("{EXTENSION}/blocks/loyalty.liquid")).map_err(|e| e.to_string())?;
    let (liquid, schema) = source.split_once("{% schema %}").ok_or("the block has no {% schema %}")?;
    let schema = schema.split_once("{% endschema %}").ok_or("the schema is not closed")?.0;
    let schema: Json = serde_json::from_str(schema).map_err(|e| format!("schema: {e}"))?;
    let settings: serde_json::Map<String, Json> = schema["settings"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| Some((s["id"].as_str()?.to_string(), s["default"].clone())))
        .collect();
    // Shopify's Liquid reads a missing metafield as nil; this Liquid refuses an unknown index, so the block's
    // one metafield is there with nothing in it until Tally writes it.
    let customer = customer.map(|mut customer| {
        let tally = &mut customer["metafields"]["$app:tally"];
        if tally.get("loyalty").is_none() {
            tally["loyalty"] = json!({"value": {"balance": null}});
        }
        customer
    });
    let language = translations.language.clone();
    let globals = json!({
        "block": {"id": "loyalty-1", "settings": settings},
        "customer": customer,
        "routes": {"root_url": format!("/shops/{domain}"), "account_login_url": format!("/shops/{domain}/account/login")},
        "request": {"origin": format!("/shops/{domain}"), "locale": {"iso_code": language}},
        "shop": {"permanent_domain": domain},
    });
    let parser = liquid::ParserBuilder::with_stdlib()
        .filter(AssetUrl)
        .filter(ToJson)
        .filter(Translate(Arc::new(translations)))
        .build()
        .map_err(|e| e.to_string())?;
    let template = parser.parse(liquid).map_err(|e| e.to_string())?;
    let globals = liquid::to_object(&globals).map_err(|e| e.to_string())?;
    Ok((template.render(&globals).map_err(|e| e.to_string())?, language))
}

/// The extension's storefront translations for one language: `locales/{language}.json`, and
/// `locales/en.default.json` for the keys it lacks (or for all of them, when there is no such file).
#[derive(Debug)]
pub struct Translations {
    /// The language the page is in: the one asked for if the extension has it, else the default's.
    pub language: String,
    chosen: Json,
    default: Json,
}

impl Translations {
    /// The translations for `language` (`fr`, `pt-BR`), read from the repository's files.
    pub fn load(language: &str) -> Result<Translations, String> {
        let read = |name: &str| -> Result<Option<Json>, String> {
            match std::fs::read_to_string(format!("{EXTENSION}/locales/{name}.json")) {
                Ok(text) => serde_json::from_str(&text).map(Some).map_err(|e| format!("locales/{name}.json: {e}")),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(e) => Err(format!("locales/{name}.json: {e}")),
            }
        };
        let default = read("en.default")?.ok_or("the extension has no locales/en.default.json")?;
        // A language tag only: it names a file.
        let safe = !language.is_empty() && language.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        let chosen = if safe && language != "en" { read(language)? } else { None };
        Ok(match chosen {
            Some(chosen) => Translations { language: language.to_string(), chosen, default },
            None => Translations { language: "en".into(), chosen: Json::Null, default },
        })
    }

    /// The text at a dotted key (`loyalty.block.heading`), in the chosen language or else the default's.
    fn lookup(&self, key: &str) -> Option<&str> {
        [&self.chosen, &self.default]
            .into_iter()
            .find_map(|root| key.split('.').try_fold(root, |node, part| node.get(part)).and_then(Json::as_str))
    }
}

/// Shopify's `t`: `{{ 'key' | t }}`, or `{{ 'key' | t: points: 5 }}` for a text with `{{ points }}` in
/// it. As Shopify does, the text is HTML-escaped unless its key ends in `_html`, and a missing key
/// shows as `translation missing: {language}.{key}`.
#[derive(Clone)]
pub struct Translate(pub Arc<Translations>);

impl FilterReflection for Translate {
    fn name(&self) -> &str {
        "t"
    }
    fn description(&self) -> &str {
        "The text of a key of the extension's locale files, in the page's language."
    }
    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for Translate {
    fn parse(&self, arguments: FilterArguments) -> liquid_core::Result<Box<dyn Filter>> {
        if arguments.positional.count() > 0 {
            return Err(liquid_core::Error::with_msg("t takes named arguments only (t: points: 5)"));
        }
        let values = arguments.keyword.map(|(name, value)| (name.to_string(), value)).collect();
        Ok(Box::new(TranslateFilter { translations: self.0.clone(), values }))
    }
    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

#[derive(Debug)]
struct TranslateFilter {
    translations: Arc<Translations>,
    values: Vec<(String, Expression)>,
}

impl fmt::Display for TranslateFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let values: Vec<String> = self.values.iter().map(|(name, value)| format!("{name}: {value}")).collect();
        if values.is_empty() {
            write!(f, "t")
        } else {
            write!(f, "t: {}", values.join(", "))
        }
    }
}

impl Filter for TranslateFilter {
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let key = input.to_kstr().to_string();
        let Some(text) = self.translations.lookup(&key) else {
            let missing = format!("translation missing: {}.{key}", self.translations.language);
            return Ok(Value::scalar(escape_html(&missing)));
        };
        let mut text = text.to_string();
        for (name, value) in &self.values {
            let value = value.evaluate(runtime)?.to_kstr().to_string();
            for placeholder in [format!("{{{{ {name} }}}}"), format!("{{{{{name}}}}}")] {
                text = text.replace(&placeholder, &value);
            }
        }
        Ok(Value::scalar(if key.ends_with("_html") { text } else { escape_html(&text) }))
    }
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;").replace('\'', "&#39;")
}

/// Shopify's `json`: the value as JSON, safe inside a `<script>` (`<`, `>` and `&` as `\u` escapes).
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(name = "json", description = "The value as JSON.", parsed(JsonFilter))]
pub struct ToJson;

#[derive(Debug, Default, Display_filter)]
#[name = "json"]
struct JsonFilter;

impl Filter for JsonFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let json = serde_json::to_string(&input.to_value()).map_err(|e| liquid_core::Error::with_msg(e.to_string()))?;
        Ok(Value::scalar(json.replace('<', "\\u003c").replace('>', "\\u003e").replace('&', "\\u0026")))
    }
}

/// Shopify's `asset_url` filter for a theme app extension: the asset's URL on the CDN, versioned.
#[derive(Clone, ParseFilter, FilterReflection)]
#[filter(name = "asset_url", description = "The URL of an asset of the extension.", parsed(AssetUrlFilter))]
pub struct AssetUrl;

#[derive(Debug, Default, Display_filter)]
#[name = "asset_url"]
struct AssetUrlFilter;

impl Filter for AssetUrlFilter {
    fn evaluate(&self, input: &dyn ValueView, _runtime: &dyn Runtime) -> liquid_core::Result<Value> {
        let name = input.to_kstr().to_string();
        let version = std::fs::metadata(format!("{EXTENSION}/assets/{name}"))
            .and_then(|m| m.modified())
            .map(|t| t.duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_secs())
            .unwrap_or_default();
        Ok(Value::scalar(format!("/cdn/extensions/loyalty/assets/{name}?v={version}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(customer: Option<u64>, language: &str) -> (String, String) {
        let customer = customer.map(|id| json!({"id": id}));
        render_block("demo.myshopify.com", customer, Translations::load(language).unwrap()).unwrap()
    }

    #[test]
    fn the_block_renders_for_a_customer_and_for_nobody() {
        let (logged_in, language) = block(Some(1001), "en");
        assert_eq!(language, "en");
        assert!(logged_in.contains(r#"data-customer="1001""#), "{logged_in}");
        assert!(logged_in.contains(r#"data-proxy="/shops/demo.myshopify.com/apps/tally""#), "{logged_in}");
        assert!(logged_in.contains(r#"data-storefront-api="/shops/demo.myshopify.com/api/2026-10/graphql.json""#));
        assert!(logged_in.contains("<script src=\"/cdn/extensions/loyalty/assets/loyalty.js?v="), "{logged_in}");
        assert!(logged_in.contains(" defer></script>"), "the widget's script does not hold the page up");
        assert!(logged_in.contains(">Your rewards</h2>"), "a blank heading is the locale's: {logged_in}");
        assert!(!logged_in.contains("schema") && !logged_in.contains("translation missing"), "{logged_in}");
        let (logged_out, _) = block(None, "en");
        assert!(
            logged_out.contains(r#"href="/shops/demo.myshopify.com/account/login">Log in to redeem</a>"#),
            "{logged_out}"
        );
        assert!(!logged_out.contains("data-customer"));
    }

    #[test]
    fn the_block_speaks_french_and_hands_the_script_its_texts() {
        let (html, language) = block(Some(1001), "fr");
        assert_eq!(language, "fr");
        assert!(html.contains(">Vos récompenses</h2>"), "{html}");
        let strings = html.split_once("<script type=\"application/json\" data-strings>").unwrap().1;
        let strings: Json = serde_json::from_str(strings.split_once("</script>").unwrap().0).expect("JSON");
        assert_eq!(strings["widget.redeem"], "Échanger");
        assert_eq!(strings["widget.points_other"], "[points] points");
        assert_eq!(strings["errors.insufficient_points"], "Vous n&#39;avez pas assez de points pour cette récompense.");
        assert_eq!(block(None, "de").1, "en", "a language the extension lacks is English");
    }

    fn render(source: &str, language: &str) -> String {
        let translations = Arc::new(Translations::load(language).unwrap());
        let parser =
            liquid::ParserBuilder::with_stdlib().filter(Translate(translations)).filter(ToJson).build().unwrap();
        parser.parse(source).unwrap().render(&liquid::object!({})).unwrap()
    }

    #[test]
    fn t_reads_the_chosen_locale_and_falls_back_to_the_default() {
        assert_eq!(render("{{ 'loyalty.widget.redeem' | t }}", "fr"), "Échanger");
        assert_eq!(render("{{ 'loyalty.widget.redeem' | t }}", "en"), "Redeem");
        assert_eq!(render("{{ 'loyalty.widget.redeem' | t }}", "xx"), "Redeem", "no such file: the default");
        assert_eq!(render("{{ 'loyalty.nothing' | t }}", "fr"), "translation missing: fr.loyalty.nothing");
    }

    #[test]
    fn t_interpolates_and_escapes_as_shopify_does() {
        assert_eq!(render("{{ 'loyalty.widget.points_other' | t: points: 5 }}", "en"), "5 points");
        assert_eq!(
            render("{{ 'loyalty.errors.insufficient_points' | t }}", "en"),
            "You don&#39;t have enough points for this reward."
        );
        assert_eq!(
            render("{{ 'loyalty.widget.points_other' | t: points: '[points]' | json }}", "fr"),
            r#""[points] points""#
        );
        assert_eq!(render("{{ '</script>' | json }}", "en"), r#""\u003c/script\u003e""#);
    }
}
