//! Who is calling: a shop by its API key, or Shopify by its webhook signature.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use lambda_http::Request;
use sha2::Sha256;

use tally_app::ports::{Shopify, Store};
use tally_app::{shops, Deps};
use tally_domain::shop::{Shop, ShopDomain};

use crate::errors::{Problem, Unauthorized};

/// The shop whose `X-API-Key` the request carries.
pub async fn api_key<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Shop, Problem> {
    let key = req
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or(Unauthorized::MissingKey)?;
    let shop = shops::by_api_key(deps, key).await?.ok_or(Unauthorized::UnknownKey)?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    Ok(shop)
}

/// The shop a webhook delivery names, if the signature is its client secret's HMAC of the raw body.
pub async fn webhook<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    domain: &str,
    signature: &str,
    body: &[u8],
) -> Result<Shop, Problem> {
    const UNSIGNED: Unauthorized = Unauthorized::BadWebhookSignature;
    if signature.is_empty() {
        return Err(UNSIGNED.into());
    }
    // A header that is no shop's domain (or far too long to be one) is refused before anything is read.
    let domain = ShopDomain::parse(domain).map_err(|_| UNSIGNED)?;
    let held = shops::with_secret(deps, &domain).await?.ok_or(UNSIGNED)?;
    let secret = held.client_secret.ok_or(UNSIGNED)?;
    match verify(&secret, body, signature) {
        true => Ok(held.shop),
        false => Err(UNSIGNED.into()),
    }
}

/// Base64 of HMAC-SHA256 over the raw body, compared in constant time.
pub fn verify(secret: &str, body: &[u8], signature: &str) -> bool {
    let Ok(expected) = base64::engine::general_purpose::STANDARD.decode(signature) else { return false };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return false };
    mac.update(body);
    mac.verify_slice(&expected).is_ok()
}

/// What Shopify signs: for tests, the emulator and the sample events.
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_shops_secret_over_the_exact_body_verifies() {
        let body = br#"{"id": 1}"#;
        let signature = sign("secret", body);
        assert!(verify("secret", body, &signature));
        assert!(!verify("other secret", body, &signature));
        assert!(!verify("secret", br#"{"id": 2}"#, &signature));
        assert!(!verify("secret", body, "not base64!"));
        assert!(!verify("secret", body, ""));
    }
}
