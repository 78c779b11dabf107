use serde_json::json;

use super::*;

const NOW: i64 = 1_800_000_000;

fn now() -> Time {
    Time::from_unix_timestamp(NOW).unwrap()
}

/// A customer's token as Shopify's extension sandbox gets it, with `changes` over its claims.
fn token(secret: &str, changes: serde_json::Value) -> String {
    let mut claims = json!({"iss": "https://demo.myshopify.com/admin", "dest": "https://demo.myshopify.com",
        "aud": "client", "sub": "gid://shopify/Customer/1001", "exp": NOW + 300, "nbf": NOW - 5, "iat": NOW - 5,
        "jti": "2f7c0e1a-0f3c-4f0e-9f1d-1a2b3c4d5e6f", "sid": "a1b2c3"});
    for (name, value) in changes.as_object().unwrap() {
        match value {
            serde_json::Value::Null => claims.as_object_mut().unwrap().remove(name),
            value => claims.as_object_mut().unwrap().insert(name.clone(), value.clone()),
        };
    }
    sign(secret, &claims)
}

fn check(token: &str) -> Result<Option<CustomerId>, TokenRefused> {
    let unverified = Unverified::parse(token)?;
    assert_eq!(unverified.shop()?.as_str(), "demo.myshopify.com");
    unverified.verify("secret", "client", now())
}

#[test]
fn a_token_as_shopify_signs_it_names_the_customer_and_the_shop() {
    assert_eq!(check(&token("secret", json!({}))), Ok(Some("1001".parse().unwrap())));
    let bare_domain = token("secret", json!({"dest": "demo.myshopify.com"}));
    assert_eq!(check(&bare_domain), Ok(Some("1001".parse().unwrap())), "dest without https://");
    assert_eq!(check(&token("secret", json!({"nbf": null}))), Ok(Some("1001".parse().unwrap())), "no nbf");
}

/// A token made apart from this module (Python's `hmac` and `base64`, with spaces in its JSON as Python writes
/// it), secret `secret`, for customer 1001 of demo.myshopify.com, alive at `NOW`.
const MADE_ELSEWHERE: &str = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.\
    eyJpc3MiOiAiaHR0cHM6Ly9kZW1vLm15c2hvcGlmeS5jb20vYWRtaW4iLCAiZGVzdCI6ICJkZW1vLm15c2hvcGlmeS5jb20iLCAiYXVkIjogImNsaWVudCIsICJzdWIiOiAiZ2lkOi8vc2hvcGlmeS9DdXN0b21lci8xMDAxIiwgImV4cCI6IDE4MDAwMDAzMDAsICJuYmYiOiAxNzk5OTk5OTk1LCAiaWF0IjogMTc5OTk5OTk5NSwgImp0aSI6ICJmMWUyZDNjNCIsICJzaWQiOiAiczEifQ.\
    nvDJbOmYGbPFuGX50sarQZUrI4OfALFiJy1JkvoKSbE";

#[test]
fn a_token_made_by_another_implementation_verifies() {
    assert_eq!(check(MADE_ELSEWHERE), Ok(Some("1001".parse().unwrap())));
    let tampered = MADE_ELSEWHERE.replace("nvDJ", "nvDK");
    assert_eq!(check(&tampered), Err(TokenRefused::Signature));
}

#[test]
fn the_bearer_scheme_is_read_in_any_case() {
    assert_eq!(bearer("Bearer abc"), Some("abc"));
    assert_eq!(bearer("bearer  abc "), Some("abc"));
    assert_eq!(bearer("BEARER abc"), Some("abc"));
    for refused in ["Basic abc", "Bearer", "Bearer ", "abc", ""] {
        assert_eq!(bearer(refused), None, "{refused}");
    }
}

#[test]
fn a_guest_s_token_names_nobody() {
    assert_eq!(check(&token("secret", json!({"sub": null}))), Ok(None));
    assert_eq!(check(&token("secret", json!({"sub": ""}))), Ok(None));
}

#[test]
fn every_wrong_token_is_refused_for_its_reason() {
    use TokenRefused::*;
    let cases = [
        (token("other secret", json!({})), Signature),
        (token("secret", json!({"aud": "another app"})), Audience),
        (token("secret", json!({"exp": NOW - 11})), Expired),
        (token("secret", json!({"nbf": NOW + 11})), NotYetValid),
        (token("secret", json!({"sub": "gid://shopify/Order/1001"})), Subject),
        (token("secret", json!({"sub": "gid://shopify/Customer/x"})), Subject),
        (token("secret", json!({"exp": "soon"})), Malformed),
        (token("secret", json!({"exp": null})), Malformed),
        (token("secret", json!({"aud": ["client"]})), Malformed),
    ];
    for (token, reason) in cases {
        assert_eq!(check(&token), Err(reason), "{reason}");
    }
}

#[test]
fn the_leeway_is_ten_seconds_either_way() {
    assert!(check(&token("secret", json!({"exp": NOW - 10}))).is_ok());
    assert!(check(&token("secret", json!({"nbf": NOW + 10}))).is_ok());
    assert_eq!(check(&token("secret", json!({"exp": NOW - 11}))), Err(TokenRefused::Expired));
    assert_eq!(check(&token("secret", json!({"nbf": NOW + 11}))), Err(TokenRefused::NotYetValid));
}

#[test]
fn only_hs256_is_taken_and_the_signature_covers_header_and_claims() {
    let good = token("secret", json!({}));
    let (header, rest) = good.split_once('.').unwrap();
    let none = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none}.{}.", rest.split_once('.').unwrap().0);
    assert_eq!(Unverified::parse(&unsigned).err(), Some(TokenRefused::Algorithm), "alg: none");
    let hs512 = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
    assert_eq!(Unverified::parse(&format!("{hs512}.{rest}")).err(), Some(TokenRefused::Algorithm));
    let (payload, signature) = rest.split_once('.').unwrap();
    let mut claims: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap();
    claims["sub"] = json!("gid://shopify/Customer/1002");
    let forged = format!("{header}.{}.{signature}", URL_SAFE_NO_PAD.encode(claims.to_string()));
    assert_eq!(check(&forged), Err(TokenRefused::Signature), "another customer under the same signature");
    for broken in ["", "a.b", "a.b.c.d", "!!.!!.!!", &format!("{header}.{payload}.%%")] {
        assert!(Unverified::parse(broken).is_err(), "{broken}");
    }
}
