use lambda_http::lambda_runtime::{run, service_fn};
use lambda_http::{tracing, Error};
use tally_shared::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = Deps::from_env()?;
    let grace = reconcile::grace_from_env()?;
    run(service_fn(|event| reconcile::handler(&deps, grace, event))).await
}
