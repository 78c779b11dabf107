use lambda_http::{run, service_fn, tracing, Error};

#[tokio::main]
async fn main() -> Result<(), Error> {
    tracing::init_default_subscriber();
    let deps = tally_config::from_env()?;
    run(service_fn(|req| refund_reward::handler(&deps, req))).await
}
