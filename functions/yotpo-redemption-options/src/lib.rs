//! `GET /api/v2/redemption_options`, Yotpo's: the active rules as redemption options; with a customer
//! (`customer_email`, `phone_number`, `pos_account_id` or `customer_external_id`), those they qualify for
//! now; `discount_type` keeps those of one type.

use lambda_http::{Body, Error, Request, Response};
use tally_api::{yotpo, Reply};
use tally_app::{loyalty, rules};
use tally_config::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(yotpo::read(deps, &req, async |shop| {
        let who = yotpo::customer_in_query(&req)?;
        let discount_type = yotpo::discount_type(&req)?;
        let options = match &who {
            Some(who) => {
                let customer = loyalty::find(deps, shop, who).await?.customer.customer_id;
                rules::options(deps, shop, customer).await?
            }
            None => rules::everyone_s_options(deps, shop).await?,
        };
        Reply::json(200, &yotpo::options(options, who.is_some(), discount_type.as_deref()))
    })
    .await)
}
