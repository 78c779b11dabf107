//! The client credentials grant: a Dev Dashboard app's client id and secret exchanged for an Admin API
//! token, `POST {shop}/admin/oauth/access_token`, form-encoded; Shopify answers with the token, its scopes
//! and its lifetime (about 24 hours).

use serde::Deserialize;
use tally_app::ports::shopify::FetchedToken;
use tally_app::ports::ShopifyError;

use crate::ShopifyHttp;

/// Shopify's answer. The token itself is never logged.
#[derive(Deserialize)]
struct Granted {
    access_token: String,
    #[serde(default)]
    scope: String,
    expires_in: u64,
}

impl ShopifyHttp {
    /// A token for the app `client_id` on the shop at `admin_url`. Wrong credentials are `Refused`.
    pub(crate) async fn grant(
        &self,
        admin_url: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<FetchedToken, ShopifyError> {
        let client = self.client().map_err(|e| ShopifyError::Unavailable(format!("no HTTP client: {e}")))?;
        let url = format!("{}/admin/oauth/access_token", admin_url.trim_end_matches('/'));
        let form: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("client_id", client_id)
            .append_pair("client_secret", client_secret)
            .finish();
        let form = form.into_bytes();
        let timeout = self.timeouts.request;
        let response = client
            .post(&url, "application/x-www-form-urlencoded", &[], form, timeout)
            .await
            .map_err(|e| ShopifyError::Unavailable(e.to_string()))?;
        let status = response.status;
        if matches!(status, 400..=499) && status != 429 {
            return Err(ShopifyError::Refused(format!("HTTP {status}: the client id or secret was not accepted")));
        }
        if !(200..300).contains(&status) {
            return Err(ShopifyError::Unavailable(format!("HTTP {status}")));
        }
        let granted: Granted = serde_json::from_slice(&response.body)
            .map_err(|e| ShopifyError::Unavailable(format!("an unreadable token answer: {e}")))?;
        Ok(FetchedToken { access_token: granted.access_token, scope: granted.scope, expires_in: granted.expires_in })
    }
}
