use lambda_http::{run, service_fn, tracing, Error};
use tally_shared::Deps;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = Deps::from_env()?;
    run(service_fn(|req| customer_activity::handler(&deps, req))).await
}
