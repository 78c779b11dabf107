//! Serves every function on template.yaml's routes at http://127.0.0.1:$PORT (3000 by default).

use std::net::SocketAddr;
use std::sync::Arc;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tally_config::init_logging();
    let port: u16 = std::env::var("PORT").unwrap_or_else(|_| "3000".into()).parse()?;
    let deps = Arc::new(tally_config::from_env()?);
    let bound = local_api::serve(deps, SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("Tally API on http://{bound}");
    tokio::signal::ctrl_c().await?;
    Ok(())
}
