//! Metafields and Flow triggers: `metafieldsSet` with `compareDigest`, a customer's `metafield(namespace,
//! key)`, and `flowTriggerReceive`, with the checks Shopify makes (the `$app` namespace resolved for the
//! app, JSON values, a trigger's handle and payload).

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::state::{FlowTrigger, ShopState, StoredMetafield};

/// Flow refuses a payload above this many bytes.
const MAX_FLOW_PAYLOAD: usize = 50_000;

/// `$app` is the app's own namespace, `app--{client id}`; `$app:tally` is `app--{client id}--tally`.
fn resolve_namespace(shop: &ShopState, namespace: &str) -> String {
    let app = shop.app_namespace();
    match namespace.strip_prefix("$app") {
        Some("") => app,
        Some(rest) => match rest.strip_prefix(':') {
            Some(sub) => format!("{app}--{sub}"),
            None => namespace.to_string(),
        },
        None => namespace.to_string(),
    }
}

fn digest(owner: &str, namespace: &str, key: &str, value: &str) -> String {
    hex::encode(Sha256::digest(format!("{owner}\n{namespace}\n{key}\n{value}")))
}

fn user_error(index: usize, field: &str, code: &str, message: &str) -> Value {
    json!({"field": ["metafields", index.to_string(), field], "code": code, "message": message, "elementIndex": index})
}

/// `metafieldsSet(metafields)`: all or nothing, each checked against its `compareDigest` when given.
pub fn set(shop: &mut ShopState, inputs: &Value) -> Value {
    let inputs = inputs.as_array().cloned().unwrap_or_default();
    let mut errors = Vec::new();
    let mut writes = Vec::new();
    if inputs.len() > 25 {
        errors.push(user_error(
            0,
            "metafields",
            "LESS_THAN_OR_EQUAL_TO",
            "Exceeded the maximum metafields input limit of 25.",
        ));
    }
    for (i, input) in inputs.iter().enumerate() {
        let owner = input["ownerId"].as_str().unwrap_or_default();
        let key = input["key"].as_str().unwrap_or_default();
        let value = input["value"].as_str().unwrap_or_default();
        let namespace = resolve_namespace(shop, input["namespace"].as_str().unwrap_or("$app"));
        let kind = input["type"].as_str().unwrap_or("json");
        if !owner.starts_with("gid://shopify/Customer/") {
            errors.push(user_error(i, "ownerId", "INVALID", "Owner does not exist."));
            continue;
        }
        if !(2..=64).contains(&key.len()) {
            errors.push(user_error(i, "key", "INVALID", "Key must be between 2 and 64 characters."));
        }
        if kind == "json" && serde_json::from_str::<Value>(value).is_err() {
            errors.push(user_error(i, "value", "INVALID_VALUE", "Value must be valid JSON."));
        }
        let current = shop.metafields.iter().find(|m| m.owner_id == owner && m.namespace == namespace && m.key == key);
        if let Some(expected) = input.as_object().and_then(|o| o.get("compareDigest")) {
            let matches = match (expected.as_str(), current) {
                (None, None) => true,
                (Some(expected), Some(current)) => expected == current.compare_digest,
                _ => false,
            };
            if !matches {
                errors.push(user_error(
                    i,
                    "compareDigest",
                    "STALE_OBJECT",
                    "The metafield has been modified since it was loaded.",
                ));
            }
        }
        let compare_digest = digest(owner, &namespace, key, value);
        writes.push(StoredMetafield {
            owner_id: owner.into(),
            namespace,
            key: key.into(),
            kind: kind.into(),
            value: value.into(),
            compare_digest,
        });
    }
    if !errors.is_empty() {
        return json!({"metafields": null, "userErrors": errors});
    }
    let mut written = Vec::new();
    for write in writes {
        shop.metafields
            .retain(|m| !(m.owner_id == write.owner_id && m.namespace == write.namespace && m.key == write.key));
        written.push(json!({"id": shop.next_gid("Metafield"), "namespace": write.namespace, "key": write.key,
            "value": write.value, "compareDigest": write.compare_digest}));
        shop.metafields.push(write);
    }
    json!({"metafields": written, "userErrors": []})
}

/// A customer's metafield, as `Customer.metafield(namespace, key)` answers (null when not set).
pub fn customer_metafield(shop: &ShopState, owner: &str, namespace: &str, key: &str) -> Value {
    let namespace = resolve_namespace(shop, namespace);
    shop.metafields
        .iter()
        .find(|m| m.owner_id == owner && m.namespace == namespace && m.key == key)
        .map(|m| {
            json!({"__typename": "Metafield", "namespace": m.namespace, "key": m.key, "type": m.kind,
            "value": m.value, "compareDigest": m.compare_digest})
        })
        .unwrap_or(Value::Null)
}

/// `flowTriggerReceive(handle, payload)`.
pub fn trigger(shop: &mut ShopState, handle: &Value, payload: &Value) -> Value {
    let handle = handle.as_str().unwrap_or_default();
    let valid_handle = !handle.is_empty()
        && handle.len() <= 30
        && handle.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    let error = |field: &str, message: &str| json!({"userErrors": [{"field": [field], "message": message}]});
    if !valid_handle {
        return error("handle", "Invalid handle");
    }
    if !payload.is_object() {
        return error("payload", "Payload must be a JSON object");
    }
    if payload.to_string().len() > MAX_FLOW_PAYLOAD {
        return error("payload", "Payload is too large");
    }
    shop.flow_triggers.push(FlowTrigger { handle: handle.into(), payload: payload.clone() });
    json!({"userErrors": []})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reserved_form_reads_back_what_the_app_s_namespaces_resolve_to() {
        let client =
            crate::state::Client { id: "demo".into(), secret: "s".into(), token_ttl: std::time::Duration::ZERO };
        let shop = ShopState::new(None, Some(client));
        for namespace in ["$app", "$app:tally", "custom", "app--other--tally"] {
            assert_eq!(shop.reserved_form(&resolve_namespace(&shop, namespace)), namespace);
        }
        assert_eq!(shop.reserved_form("app--demoX--tally"), "app--demoX--tally", "another app's, not ours");
    }
}
