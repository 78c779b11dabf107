use lambda_http::lambda_runtime::{run, service_fn};
use lambda_http::{tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = tally_config::from_env()?;
    run(service_fn(|event| redact::handler(&deps, event))).await
}
