//! The local API server: every function's handler behind the routes of template.yaml, so that the
//! code Lambda runs is the code served and tested here.

pub mod stream;

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Body as AxumBody;
use axum::extract::{RawPathParams, Request as AxumRequest, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response as AxumResponse};
use axum::routing::{on, MethodFilter};
use axum::Router;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::{Body, Context, Error, Request, RequestExt, Response};
use tally_config::Deps;

/// Bodies above this are refused, as API Gateway refuses payloads above its own limit.
const MAX_BODY: usize = 1 << 20;

/// A function's handler, as the server calls it.
pub type Handler =
    for<'a> fn(&'a Deps, Request) -> Pin<Box<dyn Future<Output = Result<Response<Body>, Error>> + Send + 'a>>;

/// A route of template.yaml: method, path, the function that serves it, its timeout and its handler.
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub function: &'static str,
    /// The function's timeout in template.yaml: the handler gets the deadline Lambda would give it.
    pub timeout: Duration,
    pub handler: Handler,
}

/// template.yaml's timeout of the API functions (`Globals`), and of the webhook function.
const API_TIMEOUT: Duration = Duration::from_secs(15);
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

macro_rules! route {
    ($method:literal, $path:literal, $function:literal, $krate:ident) => {
        route!($method, $path, $function, $krate, API_TIMEOUT)
    };
    ($method:literal, $path:literal, $function:literal, $krate:ident, $timeout:expr) => {
        Route {
            method: $method,
            path: $path,
            function: $function,
            timeout: $timeout,
            handler: |deps, req| Box::pin($krate::handler(deps, req)),
        }
    };
}

/// Every HTTP route of template.yaml; a test keeps the two in step.
pub const ROUTES: &[Route] = &[
    route!("POST", "/api/external/redeem-points", "RedeemPointsFunction", redeem_points),
    route!("POST", "/v1/rewards/{id}/purchase", "MagePurchaseRewardFunction", mage_purchase_reward),
    route!("POST", "/api/v2/redemptions", "YotpoCreateRedemptionFunction", yotpo_create_redemption),
    route!("GET", "/api/v2/redemption_options", "YotpoRedemptionOptionsFunction", yotpo_redemption_options),
    route!("GET", "/api/v2/customer_details", "YotpoCustomerDetailsFunction", yotpo_customer_details),
    route!("GET", "/v1/rewards", "MageListRewardsFunction", mage_list_rewards),
    route!("GET", "/v1/customers/{identifier}", "MageGetCustomerFunction", mage_get_customer),
    route!("GET", "/api/external/point-redeem-rules", "ListRedeemRulesFunction", list_redeem_rules),
    route!("POST", "/api/external/point-redeem-rules", "CreateRedeemRuleFunction", create_redeem_rule),
    route!("PUT", "/api/external/point-redeem-rules/{id}", "UpdateRedeemRuleFunction", update_redeem_rule),
    route!("DELETE", "/api/external/point-redeem-rules/{id}", "DeleteRedeemRuleFunction", delete_redeem_rule),
    route!("GET", "/api/external/customer-loyalty", "CustomerLoyaltyFunction", customer_loyalty),
    route!("GET", "/api/external/customer-rewards", "CustomerRewardsFunction", customer_rewards),
    route!("GET", "/api/external/customer-activity", "CustomerActivityFunction", customer_activity),
    route!("POST", "/api/external/customers", "EnrollCustomerFunction", enroll_customer),
    route!("POST", "/api/external/add-points", "AddPointsFunction", add_points),
    route!("POST", "/api/external/remove-points", "RemovePointsFunction", remove_points),
    route!("POST", "/api/external/rewards/{id}/refund", "RefundRewardFunction", refund_reward),
    route!("PUT", "/api/external/check-discount", "CheckDiscountFunction", check_discount),
    route!("PUT", "/api/external/update-discount", "UpdateDiscountFunction", update_discount),
    route!(
        "PUT",
        "/api/external/update-discount-code-status",
        "UpdateDiscountCodeStatusFunction",
        update_discount_code_status
    ),
    route!("POST", "/loyalty/cp/api/redeem-points", "PortalRedeemPointsFunction", portal_redeem_points),
    route!("GET", "/loyalty/cp/api/customer-loyalty", "PortalCustomerLoyaltyFunction", portal_customer_loyalty),
    route!("GET", "/loyalty/cp/api/point-redeem-rules", "PortalRedeemRulesFunction", portal_redeem_rules),
    route!("GET", "/loyalty/cp/api/customer-activity", "PortalCustomerActivityFunction", portal_customer_activity),
    route!("POST", "/api/extension/redeem-points", "PortalRedeemPointsFunction", portal_redeem_points),
    route!("OPTIONS", "/api/extension/redeem-points", "PortalRedeemPointsFunction", portal_redeem_points),
    route!("GET", "/api/extension/customer-loyalty", "PortalCustomerLoyaltyFunction", portal_customer_loyalty),
    route!("OPTIONS", "/api/extension/customer-loyalty", "PortalCustomerLoyaltyFunction", portal_customer_loyalty),
    route!("GET", "/api/extension/point-redeem-rules", "PortalRedeemRulesFunction", portal_redeem_rules),
    route!("OPTIONS", "/api/extension/point-redeem-rules", "PortalRedeemRulesFunction", portal_redeem_rules),
    route!("GET", "/api/extension/customer-activity", "PortalCustomerActivityFunction", portal_customer_activity),
    route!("OPTIONS", "/api/extension/customer-activity", "PortalCustomerActivityFunction", portal_customer_activity),
    route!("POST", "/webhooks/shopify", "ShopifyWebhooksFunction", shopify_webhooks, WEBHOOK_TIMEOUT),
];

pub fn router(deps: Arc<Deps>) -> Router {
    let mut router = Router::new();
    for route in ROUTES {
        let method: axum::http::Method = route.method.parse().expect("routes use valid methods");
        let filter = MethodFilter::try_from(method).expect("routes use routable methods");
        let (handler, timeout) = (route.handler, route.timeout);
        let serve = move |State(deps): State<Arc<Deps>>, params: RawPathParams, req: AxumRequest| async move {
            match to_lambda(params, req, timeout).await {
                Ok(request) => to_axum(handler(&deps, request).await),
                Err(response) => response,
            }
        };
        router = router.route(route.path, on(filter, serve));
    }
    router.with_state(deps)
}

/// Serves on `addr` in the background; returns the address bound (useful with port 0).
pub async fn serve(deps: Arc<Deps>, addr: SocketAddr) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let bound = listener.local_addr()?;
    let router = router(deps);
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(bound)
}

/// The request as API Gateway and Lambda would hand it to the function: body, query and path parameters,
/// and a context whose deadline is the function's timeout from now.
async fn to_lambda(params: RawPathParams, req: AxumRequest, timeout: Duration) -> Result<Request, AxumResponse> {
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| (StatusCode::PAYLOAD_TOO_LARGE, "request body too large").into_response())?;
    let mut query: HashMap<String, Vec<String>> = HashMap::new();
    for (key, value) in form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes()) {
        query.entry(key.into_owned()).or_default().push(value.into_owned());
    }
    let path: HashMap<String, String> = params.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    let body = match String::from_utf8(bytes.to_vec()) {
        Ok(text) if text.is_empty() => Body::Empty,
        Ok(text) => Body::Text(text),
        Err(e) => Body::Binary(e.into_bytes()),
    };
    let mut context = Context::default();
    let deadline = SystemTime::now() + timeout;
    context.deadline = deadline.duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default().as_millis() as u64;
    Ok(Request::from_parts(parts, body)
        .with_query_string_parameters(QueryMap::from(query))
        .with_path_parameters(QueryMap::from(path))
        .with_lambda_context(context))
}

fn to_axum(result: Result<Response<Body>, Error>) -> AxumResponse {
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            // Handlers answer every outcome themselves; this is a bug, and Lambda would answer 502.
            tracing::error!(error = %e, "handler failed");
            return (StatusCode::BAD_GATEWAY, "handler failed").into_response();
        }
    };
    let (parts, body) = response.into_parts();
    let body = match body {
        Body::Empty => AxumBody::empty(),
        Body::Text(text) => AxumBody::from(text),
        Body::Binary(bytes) => AxumBody::from(bytes),
        _ => AxumBody::empty(),
    };
    AxumResponse::from_parts(parts, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The routes template.yaml declares, read from its `Path:` and `Method:` lines.
    fn template_routes() -> Vec<(String, String)> {
        let template = include_str!("../../../template.yaml");
        let mut routes = Vec::new();
        let mut path = None;
        for line in template.lines().map(str::trim) {
            if let Some(p) = line.strip_prefix("Path: ") {
                path = Some(p.trim().to_string());
            } else if let (Some(m), Some(p)) = (line.strip_prefix("Method: "), path.take()) {
                routes.push((m.trim().to_uppercase(), p));
            }
        }
        routes.sort();
        routes
    }

    /// The functions template.yaml lets read the shops' secrets and tokens: the client secret for those that
    /// verify Shopify's signatures, tokens for those that call Shopify. Every other function is denied those
    /// partitions (`dynamodb:LeadingKeys`).
    #[test]
    fn only_the_functions_that_need_them_can_read_secrets() {
        let template = include_str!("../../../template.yaml");
        let mut denied: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
        // The statement being read: its effect, whether it covers every DynamoDB action or (a list) reads,
        // and whether it lists partitions.
        let (mut current, mut listing, mut denies_all, mut reads) = (None, false, false, false);
        for line in template.lines() {
            if line.starts_with("  ") && !line.starts_with("   ") && !line.trim().is_empty() {
                current = line.trim().strip_suffix("Function:").filter(|n| !n.is_empty());
                current.inspect(|name| drop(denied.insert(name, vec![])));
                listing = false;
                continue;
            }
            let (Some(function), item) = (current, line.trim()) else { continue };
            if let Some(effect) = item.strip_prefix("- Effect: ") {
                denies_all = effect == "Deny";
            } else if item.starts_with("Action:") {
                denies_all &= item == "Action: \"dynamodb:*\"" || item == "Action:";
                reads = item != "Action:";
            } else if item == "- dynamodb:GetItem" {
                reads = true;
            } else if item == "dynamodb:LeadingKeys:" {
                listing = denies_all && reads;
            } else if let Some(prefix) = item.strip_prefix("- \"").filter(|_| listing) {
                denied.entry(function).or_default().push(prefix.trim_end_matches('"'));
            } else {
                listing = false;
            }
        }
        assert!(denied.len() >= 17, "every function is looked at: {denied:?}");
        let readers = |partition: &str| -> Vec<&str> {
            denied.iter().filter(|(_, d)| !d.contains(&partition)).map(|(name, _)| *name).collect()
        };
        let shopify_callers = [
            "Events",
            "Expire",
            "MagePurchaseReward",
            "PortalRedeemPoints",
            "Reconcile",
            "RedeemPoints",
            "RefundReward",
            "ShopifyWebhooks",
            "UpdateDiscount",
            "UpdateDiscountCodeStatus",
            "YotpoCreateRedemption",
        ];
        assert_eq!(readers("TOKEN#*"), shopify_callers);
        let verifiers = ["PortalCustomerActivity", "PortalCustomerLoyalty", "PortalRedeemRules"];
        let mut secret_readers = [&shopify_callers[..], &verifiers[..]].concat();
        secret_readers.sort();
        assert_eq!(readers("SECRET#*"), secret_readers);
    }

    #[test]
    fn the_local_server_serves_exactly_the_routes_of_the_template() {
        let mut served: Vec<(String, String)> = ROUTES.iter().map(|r| (r.method.into(), r.path.into())).collect();
        served.sort();
        assert_eq!(served, template_routes());
    }
}
