use lambda_http::{run, service_fn, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tally_config::init_logging();
    let deps = tally_config::from_env()?;
    run(service_fn(|req| portal_customer_activity::handler(&deps, req))).await
}
