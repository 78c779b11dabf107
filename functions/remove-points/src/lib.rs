//! `POST /api/external/remove-points`: take points from a customer, never below zero, with a reason.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::adjust::{adjust, Direction};
use tally_shared::http::respond;
use tally_shared::Deps;

pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(respond(remove_points(deps, &req).await))
}

#[tracing::instrument(skip_all, fields(shop))]
async fn remove_points(deps: &Deps, req: &Request) -> tally_shared::http::Reply {
    adjust(deps, req, Direction::Remove).await
}
