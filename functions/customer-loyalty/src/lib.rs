//! `GET /api/external/customer-loyalty?customerId=…` (or `customerEmail=…`): a customer's loyalty information.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::domain::customer::LoyaltyView;
use tally_shared::domain::redemption::CustomerRef;
use tally_shared::http::{authenticate, json_response, query_param, respond, Reply};
use tally_shared::{Deps, TallyError};

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(customer_loyalty(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn customer_loyalty(deps: &Deps, req: &Request) -> Reply {
    let shop = authenticate(&deps.store, req).await?;
    tracing::Span::current().record("shop", shop.domain.as_str());
    let id = match query_param(req, "customerId") {
        Some(id) => Some(
            id.parse()
                .map_err(|_| TallyError::invalid(format!("customerId {id:?} is not a number")))?,
        ),
        None => None,
    };
    let who = CustomerRef::from_parts(id, query_param(req, "customerEmail").as_deref())?;
    let customer = deps.store.find_customer(&shop.domain, &who).await?;
    let (customer, rewards) = deps
        .store
        .loyalty(&shop.domain, customer.customer_id)
        .await?
        .ok_or_else(|| TallyError::CustomerNotFound(who.to_string()))?;
    json_response(200, &LoyaltyView::new(customer, rewards, &shop.currency))
}
