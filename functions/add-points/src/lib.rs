//! `POST /api/external/add-points`: give a customer points, with a reason.

use lambda_http::{Body, Error, Request, Response};
use tally_shared::adjust::{adjust, Direction};
use tally_shared::Deps;

#[tracing::instrument(skip_all, fields(shop))]
pub async fn handler(deps: &Deps, req: Request) -> Result<Response<Body>, Error> {
    Ok(adjust(deps, &req, Direction::Add).await)
}
