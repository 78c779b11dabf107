//! The storefront's door to the customer portal: Shopify's App Proxy. Shopify signs the query it forwards
//! with the app's client secret and names the logged-in customer in it; the customer is that one, never one
//! a body names. API keys are not accepted here, nor a signature on the external API.

use std::time::Duration;

use hmac::{Hmac, KeyInit, Mac};
use lambda_http::{Request, RequestExt};
use sha2::Sha256;

use tally_app::ports::{Shopify, Store};
use tally_app::{shops, Deps};
use tally_domain::shop::ShopDomain;
use tally_domain::Time;

use crate::errors::{Problem, Unauthorized};
use crate::shopper::Shopper;

/// The parameters Shopify's App Proxy adds to the query.
const PROXY_PARAMETERS: [&str; 5] = ["shop", "logged_in_customer_id", "path_prefix", "timestamp", "signature"];

/// How far the proxy's `timestamp` may be from now: what Shopify's own app library accepts.
pub const TIMESTAMP_TOLERANCE: Duration = Duration::from_secs(90);

/// The shopper an App Proxy request comes from: a valid signature with the shop's client secret, a
/// `timestamp` within 90 seconds, a shop Tally knows, and someone logged in. What was wrong with a
/// signature is logged, never told.
pub async fn shopper<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Shopper, Problem> {
    const REFUSED: Unauthorized = Unauthorized::BadProxySignature;
    if req.headers().contains_key("x-api-key") {
        return Err(Unauthorized::KeyOnPortal.into());
    }
    let query: Vec<(String, String)> = req
        .query_string_parameters_ref()
        .map(|q| q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
        .unwrap_or_default();
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    // The proxy's own parameters come once: a second one (the shopper's, say) could otherwise be signed
    // along with Shopify's and read in its place.
    let repeated = |name: &&str| query.iter().filter(|(k, _)| k == name).count() > 1;
    if PROXY_PARAMETERS.iter().any(repeated) {
        tracing::info!("App Proxy request with a repeated proxy parameter");
        return Err(REFUSED.into());
    }
    let (Some(domain), Some(signature)) = (param("shop"), param("signature")) else {
        return Err(REFUSED.into());
    };
    let Ok(domain) = ShopDomain::parse(domain) else {
        tracing::info!("App Proxy request for no shop's domain");
        return Err(REFUSED.into());
    };
    let domain = &domain;
    let Some(shops::ShopWithSecret { shop, client_secret }) = shops::with_secret(deps, domain).await? else {
        tracing::info!(shop = %domain, "App Proxy request for a shop Tally does not know");
        return Err(REFUSED.into());
    };
    let Some(secret) = client_secret else {
        tracing::error!(shop = %domain, "App Proxy request for a shop without a client secret");
        return Err(REFUSED.into());
    };
    if !verify(&secret, &query, signature) {
        tracing::info!(shop = %domain, "App Proxy request with a wrong signature");
        return Err(REFUSED.into());
    }
    if !fresh(param("timestamp"), deps.now()) {
        tracing::info!(shop = %domain, timestamp = param("timestamp"), "App Proxy request too old or from the future");
        return Err(REFUSED.into());
    }
    let customer = param("logged_in_customer_id").unwrap_or_default();
    if customer.is_empty() {
        return Err(Problem::not_logged_in());
    }
    let customer_id = customer.parse().map_err(|_| REFUSED)?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    Ok(Shopper { shop, customer_id, proxied: true })
}

/// Whether the proxy's `timestamp` (seconds since the epoch) is within the tolerance of `now`, either way.
fn fresh(timestamp: Option<&str>, now: Time) -> bool {
    let sent_at = timestamp.and_then(|t| t.parse().ok()).and_then(|t| Time::from_unix_timestamp(t).ok());
    sent_at.is_some_and(|at| (now - at).unsigned_abs() <= TIMESTAMP_TOLERANCE)
}

/// Shopify's App Proxy signature of a query: the hex HMAC-SHA256, keyed with the client secret, of every
/// parameter but `signature`, each written `name=value` (the values of a repeated name joined by commas,
/// in the order sent), the strings sorted and concatenated without separators.
pub fn sign<K: AsRef<str>, V: AsRef<str>>(secret: &str, query: &[(K, V)]) -> String {
    hex::encode(mac(secret, query).finalize().into_bytes())
}

/// Whether `signature` is the query's, compared in constant time.
pub fn verify<K: AsRef<str>, V: AsRef<str>>(secret: &str, query: &[(K, V)], signature: &str) -> bool {
    match hex::decode(signature) {
        Ok(sent) => mac(secret, query).verify_slice(&sent).is_ok(),
        Err(_) => false,
    }
}

fn mac<K: AsRef<str>, V: AsRef<str>>(secret: &str, query: &[(K, V)]) -> Hmac<Sha256> {
    let mut names: Vec<&str> = query.iter().map(|(k, _)| k.as_ref()).filter(|k| *k != "signature").collect();
    names.sort_unstable();
    names.dedup();
    // Shopify sorts the written `name=value` strings, not the names: they differ when one name begins
    // another and the next character sorts before `=` (`a` and `a-b`).
    let mut written: Vec<String> = names
        .into_iter()
        .map(|name| {
            let values: Vec<&str> = query.iter().filter(|(k, _)| k.as_ref() == name).map(|(_, v)| v.as_ref()).collect();
            format!("{name}={}", values.join(","))
        })
        .collect();
    written.sort_unstable();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    for pair in written {
        mac.update(pair.as_bytes());
    }
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Shopify's worked example ("Authenticate app proxies"), secret `hush`, as the proxy sends it.
    const DOCUMENTED: &str = "extra=1&extra=2&shop=shop-name.myshopify.com&logged_in_customer_id=1\
        &path_prefix=%2Fapps%2Fawesome_reviews&timestamp=1317327555\
        &signature=4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb";

    fn parsed(query: &str) -> Vec<(String, String)> {
        form_urlencoded::parse(query.as_bytes()).into_owned().collect()
    }

    #[test]
    fn the_written_pairs_are_sorted_not_the_names() {
        let query = parsed("a=1&a-b=2&timestamp=1317327555");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"hush").unwrap();
        mac.update(b"a-b=2a=1timestamp=1317327555");
        let expected = hex::encode(mac.finalize().into_bytes());
        assert_eq!(sign("hush", &query), expected, "`a-b=2` sorts before `a=1`, though `a` sorts before `a-b`");
        assert!(verify("hush", &query, &expected));
    }

    #[test]
    fn shopify_s_documented_example_verifies_and_any_change_does_not() {
        let query = parsed(DOCUMENTED);
        let signature = "4c68c8624d737112c91818c11017d24d334b524cb5c2b8ba08daa056f7395ddb";
        assert!(verify("hush", &query, signature));
        assert_eq!(sign("hush", &query), signature, "the signature is over everything but itself");
        assert!(!verify("shh", &query, signature), "another secret");
        let tampered = parsed(&DOCUMENTED.replace("logged_in_customer_id=1", "logged_in_customer_id=2"));
        assert!(!verify("hush", &tampered, signature), "another customer");
        let one_extra = parsed(&DOCUMENTED.replace("extra=1&extra=2", "extra=1"));
        assert!(!verify("hush", &one_extra, signature), "a repeated parameter is signed with all its values");
        assert!(!verify("hush", &query, &signature.to_uppercase()[..63]), "a cut signature");
        assert!(!verify("hush", &query, "not hex"));
    }

    #[test]
    fn a_timestamp_is_good_for_90_seconds_either_way() {
        let now = Time::from_unix_timestamp(1_800_000_000).unwrap();
        let at = |skew: i64| Some((1_800_000_000 + skew).to_string());
        for skew in [-90, -1, 0, 1, 90] {
            assert!(fresh(at(skew).as_deref(), now), "{skew} s");
        }
        for skew in [-91, 91, -100_000] {
            assert!(!fresh(at(skew).as_deref(), now), "{skew} s");
        }
        assert!(!fresh(None, now) && !fresh(Some("soon"), now) && !fresh(Some(""), now));
    }
}
