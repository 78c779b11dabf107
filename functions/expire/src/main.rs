use lambda_http::lambda_runtime::{run, service_fn};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tally_config::init_logging();
    let deps = tally_config::from_env()?;
    run(service_fn(|event| expire::handler(&deps, event))).await
}
