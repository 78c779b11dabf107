//! The client credentials grant: a Dev Dashboard app's client id and secret exchanged for an Admin API
//! token, `POST {shop}/admin/oauth/access_token`, form-encoded; Shopify answers with the token, its scopes
//! and its lifetime (about 24 hours).

use std::time::Duration;

use serde::Deserialize;

use super::transport::without_url;
use super::{ShopifyError, ShopifyHttp};

/// A token from the grant. The token itself is never logged.
#[derive(Clone, Deserialize)]
pub struct FetchedToken {
    pub access_token: String,
    #[serde(default)]
    pub scope: String,
    pub expires_in: u64,
}

impl std::fmt::Debug for FetchedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FetchedToken")
            .field("scope", &self.scope)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

impl FetchedToken {
    pub fn lifetime(&self) -> Duration {
        Duration::from_secs(self.expires_in)
    }
}

impl ShopifyHttp {
    /// A token for the app `client_id` on the shop at `admin_url`. Wrong credentials are `Refused`.
    pub async fn fetch_token(
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
        let response = client
            .post(url)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
            .await
            .map_err(|e| ShopifyError::Unavailable(without_url(e)))?;
        let status = response.status().as_u16();
        if matches!(status, 400..=499) && status != 429 {
            return Err(ShopifyError::Refused(format!("HTTP {status}: the client id or secret was not accepted")));
        }
        if !(200..300).contains(&status) {
            return Err(ShopifyError::Unavailable(format!("HTTP {status}")));
        }
        response
            .json()
            .await
            .map_err(|e| ShopifyError::Unavailable(format!("an unreadable token answer: {}", without_url(e))))
    }
}
