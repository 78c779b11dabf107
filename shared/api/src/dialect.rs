//! What the vendors' own APIs (`mage`, `yotpo`) share: the shop of the key a vendor's client sends where it
//! sends it, and Tally's answer read back (its status, its JSON, the headers a client relies on) to be
//! written again in the vendor's words.

use lambda_http::http::header::CONTENT_TYPE;
use lambda_http::http::{HeaderValue, StatusCode};
use lambda_http::{Body, Response};
use serde_json::Value;

use tally_app::ports::{Shopify, Store};
use tally_app::{shops, Deps};
use tally_domain::rule::RewardType;
use tally_domain::shop::Shop;

use crate::errors::{Problem, Unauthorized};

/// A reward type in the vendors' snake_case words (both Mage and Yotpo write `fixed_amount`, `percentage`,
/// `free_shipping`, `free_product`; `store_credit` is Tally's).
pub fn discount_type(reward_type: RewardType) -> &'static str {
    match reward_type {
        RewardType::FixedAmount => "fixed_amount",
        RewardType::Percentage => "percentage",
        RewardType::FreeShipping => "free_shipping",
        RewardType::FreeProduct => "free_product",
        RewardType::StoreCredit => "store_credit",
    }
}

/// The shop of `key`, given where the vendor's clients give it; `missing` says where that is.
pub async fn shop_of<S: Store, H: Shopify>(
    deps: &Deps<S, H>,
    key: Option<&str>,
    missing: Unauthorized,
) -> Result<Shop, Problem> {
    let key = key.map(str::trim).filter(|k| !k.is_empty()).ok_or(missing)?;
    let shop = shops::by_api_key(deps, key).await?.ok_or(Unauthorized::UnknownKey)?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    Ok(shop)
}

/// Tally's answer, to be written again: its status and JSON body (an error's `error` object holds Tally's
/// `code`, `message` and `detail`).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    kept: Vec<(&'static str, HeaderValue)>,
}

impl Answer {
    pub fn of(response: &Response<Body>) -> Answer {
        let kept = ["idempotent-replayed", "retry-after"]
            .into_iter()
            .filter_map(|name| response.headers().get(name).map(|value| (name, value.clone())))
            .collect();
        let body = match response.body() {
            Body::Text(text) => serde_json::from_str(text).unwrap_or(Value::Null),
            _ => Value::Null,
        };
        Answer { status: response.status().as_u16(), body, kept }
    }

    /// The answer again as `status` and `body`, of `content_type`, with the headers a client relies on
    /// (a replay's mark, how long to wait before retrying).
    pub fn rewritten(self, status: u16, body: &Value, content_type: &'static str) -> Response<Body> {
        let mut answer = Response::new(Body::Text(body.to_string()));
        *answer.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        answer.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
        for (name, value) in self.kept {
            answer.headers_mut().insert(name, value);
        }
        answer
    }
}
