//! The UI extensions' door: a session token from `shopify.sessionToken.get()`, sent as
//! `Authorization: Bearer <JWT>`. Shopify signs it with HS256 and the app's client secret; `aud` is the
//! app's client id, `dest` the shop, `sub` the logged-in customer's GID (absent for a guest), `exp` and `nbf`
//! its life. What was wrong with a token is logged, never told; API keys and App Proxy signatures are
//! refused here, as a session token is refused on their routes.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use lambda_http::http::header::AUTHORIZATION;
use lambda_http::{Request, RequestExt};
use serde::Deserialize;
use sha2::Sha256;

use tally_app::ports::{Shopify, Store};
use tally_app::{shops, Deps};
use tally_domain::ids::CustomerId;
use tally_domain::shop::{Access, ShopDomain};
use tally_domain::Time;

use crate::errors::{Problem, Unauthorized};
use crate::shopper::Shopper;

/// How far `exp` and `nbf` may be passed or ahead: clocks differ a little.
pub const LEEWAY: Duration = Duration::from_secs(10);

/// The GID a customer's `sub` is, before the id.
const CUSTOMER_GID: &str = "gid://shopify/Customer/";

/// What was wrong with a token; logged, not told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenRefused {
    #[error("not a JWT")]
    Malformed,
    #[error("not signed with HS256")]
    Algorithm,
    #[error("dest names no shop Tally knows")]
    UnknownShop,
    #[error("the shop is connected with a static token, not as an app with a client id")]
    NoApp,
    #[error("the shop has no client secret")]
    NoSecret,
    #[error("the signature is not the shop's client secret's")]
    Signature,
    #[error("aud is not the shop's app")]
    Audience,
    #[error("expired")]
    Expired,
    #[error("not valid yet")]
    NotYetValid,
    #[error("sub is not a customer's GID")]
    Subject,
}

#[derive(Deserialize)]
struct Header {
    alg: String,
}

/// The claims Tally reads; the others (`iss`, `iat`, `jti`, `sid`) are Shopify's.
#[derive(Deserialize)]
struct Claims {
    dest: String,
    aud: String,
    #[serde(default)]
    sub: Option<String>,
    exp: i64,
    #[serde(default)]
    nbf: Option<i64>,
}

/// A token read but not yet verified: the shop it names, to find the secret that verifies it.
pub struct Unverified<'t> {
    signed: &'t str,
    signature: Vec<u8>,
    claims: Claims,
}

impl<'t> Unverified<'t> {
    pub fn parse(token: &'t str) -> Result<Unverified<'t>, TokenRefused> {
        use TokenRefused::*;
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Malformed);
        };
        let decode = |part: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| Malformed);
        let header: Header = serde_json::from_slice(&decode(header)?).map_err(|_| Malformed)?;
        if header.alg != "HS256" {
            return Err(Algorithm);
        }
        let claims: Claims = serde_json::from_slice(&decode(payload)?).map_err(|_| Malformed)?;
        let signed = &token[..token.len() - signature.len() - 1];
        Ok(Unverified { signed, signature: decode(signature)?, claims })
    }

    /// The shop `dest` names: its domain, with or without `https://`.
    pub fn shop(&self) -> Result<ShopDomain, TokenRefused> {
        let dest = self.claims.dest.strip_prefix("https://").unwrap_or(&self.claims.dest);
        ShopDomain::parse(dest).map_err(|_| TokenRefused::UnknownShop)
    }

    /// The logged-in customer, if the token is the shop's app's, signed with `secret` and alive at `now`;
    /// `None` for a guest.
    pub fn verify(self, secret: &str, client_id: &str, now: Time) -> Result<Option<CustomerId>, TokenRefused> {
        use TokenRefused::*;
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).map_err(|_| Signature)?;
        mac.update(self.signed.as_bytes());
        mac.verify_slice(&self.signature).map_err(|_| Signature)?;
        if self.claims.aud != client_id {
            return Err(Audience);
        }
        let (now, leeway) = (now.unix_timestamp(), LEEWAY.as_secs() as i64);
        if self.claims.exp.saturating_add(leeway) < now {
            return Err(Expired);
        }
        if self.claims.nbf.is_some_and(|nbf| nbf.saturating_sub(leeway) > now) {
            return Err(NotYetValid);
        }
        match self.claims.sub.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(sub) => {
                let id = sub.strip_prefix(CUSTOMER_GID).and_then(|id| id.parse().ok()).ok_or(Subject)?;
                Ok(Some(id))
            }
        }
    }
}

/// The shopper a UI extension's request comes from.
pub async fn shopper<S: Store, H: Shopify>(deps: &Deps<S, H>, req: &Request) -> Result<Shopper, Problem> {
    const REFUSED: Unauthorized = Unauthorized::BadSessionToken;
    let signed_by_proxy = req.query_string_parameters_ref().is_some_and(|q| q.first("signature").is_some());
    if req.headers().contains_key("x-api-key") || signed_by_proxy {
        return Err(Unauthorized::NotASessionToken.into());
    }
    let Some(token) = req.headers().get(AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(bearer) else {
        return Err(REFUSED.into());
    };
    let refused = |why: TokenRefused, shop: Option<&ShopDomain>| {
        match why {
            TokenRefused::NoSecret => {
                tracing::error!(reason = %why, shop = shop.map(ShopDomain::as_str), "session token refused")
            }
            _ => tracing::info!(reason = %why, shop = shop.map(ShopDomain::as_str), "session token refused"),
        }
        Problem::from(REFUSED)
    };
    let unverified = Unverified::parse(token).map_err(|why| refused(why, None))?;
    let domain = unverified.shop().map_err(|why| refused(why, None))?;
    let Some(shops::ShopWithSecret { shop, client_secret }) = shops::with_secret(deps, &domain).await? else {
        return Err(refused(TokenRefused::UnknownShop, Some(&domain)));
    };
    // A shop connected with a static token has no app, so no client id a token could be for.
    let Access::ClientCredentials { client_id } = &shop.access else {
        return Err(refused(TokenRefused::NoApp, Some(&domain)));
    };
    let Some(secret) = client_secret else { return Err(refused(TokenRefused::NoSecret, Some(&domain))) };
    let customer = unverified.verify(&secret, client_id, deps.now()).map_err(|why| refused(why, Some(&domain)))?;
    let Some(customer_id) = customer else { return Err(Problem::not_logged_in()) };
    tracing::Span::current().record("shop", shop.domain.as_str());
    Ok(Shopper { shop, customer_id, proxied: false })
}

/// The token of an `Authorization: Bearer <token>` header (the scheme in any case, RFC 9110).
fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

/// A token as Shopify signs one: for the tests, the bench and the emulator's stand-in pages.
pub fn sign(secret: &str, claims: &serde_json::Value) -> String {
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(format!("{header}.{payload}").as_bytes());
    format!("{header}.{payload}.{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
#[path = "session_token_tests.rs"]
mod tests;
