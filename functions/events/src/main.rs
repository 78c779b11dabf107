use lambda_http::lambda_runtime::{run, service_fn};
use lambda_http::Error;

#[tokio::main]
async fn main() -> Result<(), Error> {
    tally_config::init_logging();
    let deps = tally_config::from_env()?;
    let outlets = tally_config::outlets()?;
    run(service_fn(|event| events::handler(&deps, &outlets, event))).await
}
