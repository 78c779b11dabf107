//! `GET /api/external/customer-loyalty?customerId=…` (or `customerEmail=…`): a customer's loyalty information.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::redemption::CustomerRef;
use tally_shared::http::{authenticate, loyalty_reply, query_param, respond, Reply};
use tally_shared::{Deps, TallyError};

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(customer_loyalty(deps, &req).await))
}

async fn customer_loyalty(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let id = match query_param(req, "customerId") {
        Some(id) => Some(id.parse().map_err(|_| TallyError::invalid(format!("customerId {id:?} is not a number")))?),
        None => None,
    };
    let who = CustomerRef::from_parts(id, query_param(req, "customerEmail").as_deref())?;
    let customer = deps.store.find_customer(&shop.domain, &who).await?;
    loyalty_reply(deps, &shop, customer.customer_id, 200).await
}
