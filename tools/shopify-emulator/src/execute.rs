//! `POST /shops/{domain}/admin/api/{version}/graphql.json`: validate, maybe fail, execute, answer.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use apollo_compiler::ast::Value as GqlValue;
use apollo_compiler::executable::{ExecutableDocument, Operation, Selection, SelectionSet};
use apollo_compiler::request::coerce_variable_values;
use apollo_compiler::response::JsonMap;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

use crate::faults::FaultMode;
use crate::state::ShopState;
use crate::{resolvers, Emulator, API_VERSION};

/// How long a `timeout` fault holds its answer: longer than any client here waits.
const TIMEOUT_HOLD: Duration = Duration::from_secs(30);

pub async fn graphql(
    State(emulator): State<Arc<Emulator>>,
    Path((domain, version)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let domain = domain.to_lowercase();
    let token = headers.get("x-shopify-access-token").and_then(|v| v.to_str().ok()).unwrap_or("");
    let known = {
        let state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
        state.shops.get(&domain).is_some_and(|shop| shop.accepts(token))
    };
    if !known {
        let message = "[API] Invalid API key or access token (unrecognized login or wrong password)";
        return (StatusCode::UNAUTHORIZED, Json(json!({"errors": message}))).into_response();
    }
    if version != API_VERSION {
        return (StatusCode::NOT_FOUND, Json(json!({"errors": format!("this emulator serves {API_VERSION} only")})))
            .into_response();
    }
    let request: Value = match serde_json::from_slice(&body) {
        Ok(request) => request,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, Json(json!({"errors": format!("invalid JSON: {e}")}))).into_response()
        }
    };
    let prepared = match prepare(&emulator, &request) {
        Ok(prepared) => prepared,
        Err(errors) => return answer(json!({"errors": errors}), 0.0),
    };
    let (document, variables) = prepared;
    let operation = match document.operations.get(request["operationName"].as_str()) {
        Ok(operation) => operation,
        Err(e) => return answer(json!({"errors": [{"message": e.message().to_string()}]}), 0.0),
    };
    let cost = if operation.is_mutation() { 10.0 } else { 1.0 };
    let fault = emulator.faults.lock().unwrap_or_else(|e| e.into_inner()).draw(&domain, operation.is_mutation());
    match fault {
        Some(FaultMode::Error) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [("retry-after", "1")],
                Json(json!({"errors": "Service Unavailable"})),
            )
                .into_response()
        }
        Some(FaultMode::Throttle) => return throttled(cost),
        _ => {}
    }
    let data = {
        let mut state = emulator.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(shop) = state.shops.get_mut(&domain) else {
            return (StatusCode::UNAUTHORIZED, Json(json!({"errors": "unknown shop"}))).into_response();
        };
        execute(shop, &document, operation, &variables, fault == Some(FaultMode::UserError))
    };
    if fault == Some(FaultMode::Timeout) {
        tokio::time::sleep(TIMEOUT_HOLD).await;
    }
    if fault == Some(FaultMode::ErrorAfterDone) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [("retry-after", "1")],
            Json(json!({"errors": "Service Unavailable"})),
        )
            .into_response();
    }
    answer(data, cost)
}

/// The document, validated against the schema, and its variables, coerced to their declared types.
fn prepare(emulator: &Emulator, request: &Value) -> Result<(ExecutableDocument, JsonMap), Vec<Value>> {
    let query = request["query"].as_str().ok_or_else(|| vec![json!({"message": "query is required"})])?;
    let document = ExecutableDocument::parse_and_validate(emulator.schema, query, "request.graphql").map_err(|e| {
        e.errors.iter().map(|d| serde_json::to_value(d.to_json()).unwrap_or_default()).collect::<Vec<_>>()
    })?;
    let variables: JsonMap = match &request["variables"] {
        Value::Null => JsonMap::new(),
        v => serde_json::from_value(v.clone()).map_err(|e| vec![json!({"message": format!("variables: {e}")})])?,
    };
    let operation = document
        .operations
        .get(request["operationName"].as_str())
        .map_err(|e| vec![json!({"message": e.message().to_string()})])?;
    let coerced = coerce_variable_values(emulator.schema, operation, &variables)
        .map_err(|e| vec![json!({"message": e.message().to_string(), "extensions": {"code": "INVALID_VARIABLE"}})])?;
    Ok((document.into_inner(), coerced.into_inner()))
}

/// Runs each root field and shapes its result after the selection set.
fn execute(
    shop: &mut ShopState,
    document: &ExecutableDocument,
    operation: &Operation,
    variables: &JsonMap,
    user_error: bool,
) -> Value {
    let mut data = Map::new();
    let mut errors = Vec::new();
    for selection in &operation.selection_set.selections {
        let Selection::Field(field) = selection else {
            continue;
        };
        let args: HashMap<&str, Value> =
            field.arguments.iter().map(|a| (a.name.as_str(), to_json(&a.value, variables))).collect();
        let key = field.response_key().to_string();
        match resolvers::resolve(shop, field.name.as_str(), &args, user_error) {
            Ok(value) => {
                let context = Context { document, variables, shop };
                data.insert(key, project(&context, &value, &field.selection_set));
            }
            Err(message) => {
                errors.push(json!({"message": message, "path": [key]}));
                data.insert(key, Value::Null);
            }
        }
    }
    let mut body = json!({"data": data});
    if !errors.is_empty() {
        body["errors"] = Value::Array(errors);
    }
    body
}

/// What shaping an answer needs besides the value: the document's fragments, the variables (for a field's
/// arguments) and the shop (for fields whose value depends on them: a customer's `metafield`).
struct Context<'a> {
    document: &'a ExecutableDocument,
    variables: &'a JsonMap,
    shop: &'a ShopState,
}

/// Keeps what the selection set asks for, under the names it asks for them.
fn project(context: &Context, value: &Value, selection_set: &SelectionSet) -> Value {
    if selection_set.selections.is_empty() {
        return value.clone();
    }
    match value {
        Value::Array(items) => Value::Array(items.iter().map(|v| project(context, v, selection_set)).collect()),
        Value::Object(object) => {
            let mut out = Map::new();
            collect(context, object, selection_set, &mut out);
            Value::Object(out)
        }
        other => other.clone(),
    }
}

fn collect(context: &Context, object: &Map<String, Value>, set: &SelectionSet, out: &mut Map<String, Value>) {
    let typename = object.get("__typename").and_then(Value::as_str).unwrap_or(set.ty.as_str());
    for selection in &set.selections {
        match selection {
            Selection::Field(field) if field.name == "__typename" => {
                out.insert(field.response_key().to_string(), json!(typename));
            }
            Selection::Field(field) if field.name == "metafield" && typename == "Customer" => {
                let arg = |name: &str| {
                    let value =
                        field.arguments.iter().find(|a| a.name == name).map(|a| to_json(&a.value, context.variables));
                    value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
                };
                let owner = object.get("id").and_then(Value::as_str).unwrap_or_default();
                let value = crate::metafields::customer_metafield(context.shop, owner, &arg("namespace"), &arg("key"));
                out.insert(field.response_key().to_string(), project(context, &value, &field.selection_set));
            }
            Selection::Field(field) => {
                let value = object.get(field.name.as_str()).unwrap_or(&Value::Null);
                out.insert(field.response_key().to_string(), project(context, value, &field.selection_set));
            }
            Selection::InlineFragment(fragment) => {
                if fragment.type_condition.as_ref().is_none_or(|t| t == typename) {
                    collect(context, object, &fragment.selection_set, out);
                }
            }
            Selection::FragmentSpread(spread) => {
                if let Some(fragment) = context.document.fragments.get(&spread.fragment_name) {
                    if fragment.type_condition() == typename {
                        collect(context, object, &fragment.selection_set, out);
                    }
                }
            }
        }
    }
}

fn to_json(value: &GqlValue, variables: &JsonMap) -> Value {
    match value {
        GqlValue::Null => Value::Null,
        GqlValue::Variable(name) => {
            variables.get(name.as_str()).and_then(|v| serde_json::to_value(v).ok()).unwrap_or(Value::Null)
        }
        GqlValue::Enum(name) => json!(name.as_str()),
        GqlValue::String(s) => json!(s),
        GqlValue::Boolean(b) => json!(b),
        GqlValue::Int(i) => i.as_str().parse::<i64>().map(Value::from).unwrap_or(Value::Null),
        GqlValue::Float(f) => f.try_to_f64().map(Value::from).unwrap_or(Value::Null),
        GqlValue::List(items) => Value::Array(items.iter().map(|v| to_json(v, variables)).collect()),
        GqlValue::Object(fields) => {
            Value::Object(fields.iter().map(|(k, v)| (k.to_string(), to_json(v, variables))).collect())
        }
    }
}

/// Every answer carries the cost Shopify reports, with a bucket far from empty.
fn answer(mut body: Value, cost: f64) -> Response {
    body["extensions"] = json!({"cost": {"requestedQueryCost": cost, "actualQueryCost": cost,
        "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 2000.0 - cost, "restoreRate": 100.0}}});
    Json(body).into_response()
}

fn throttled(cost: f64) -> Response {
    Json(json!({
        "errors": [{"message": "Throttled", "extensions": {"code": "THROTTLED",
            "documentation": "https://shopify.dev/api/usage/rate-limits"}}],
        "extensions": {"cost": {"requestedQueryCost": cost, "actualQueryCost": null,
            "throttleStatus": {"maximumAvailable": 2000.0, "currentlyAvailable": 0.0, "restoreRate": 100.0}}}
    }))
    .into_response()
}
