//! Serves every function on template.yaml's routes at http://127.0.0.1:$PORT (3000 by default), and, with
//! `EVENT_BUS_NAME` set, runs the events function over the table's stream (`stream`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    tally_config::init_logging();
    let port: u16 = std::env::var("PORT").unwrap_or_else(|_| "3000".into()).parse()?;
    let deps = Arc::new(tally_config::from_env()?);
    let bound = local_api::serve(deps.clone(), SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("Tally API on http://{bound}");
    // The events function over DynamoDB Local's stream, as Lambda runs it, when the stack has a bus.
    if let (Ok(endpoint), Ok(outlets)) = (std::env::var("DYNAMODB_ENDPOINT"), tally_config::outlets()) {
        let table = std::env::var("TABLE_NAME")?;
        let runner = Arc::new(local_api::stream::StreamRunner::new(deps, Arc::new(outlets), &endpoint, &table)?);
        // On a thread of its own, as Lambda runs the function apart from the API's.
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        std::thread::spawn(move || runtime.block_on(runner.run(Duration::from_millis(500), Duration::from_secs(10))));
        println!("Tally events from the table's stream of {table}");
    }
    tokio::signal::ctrl_c().await?;
    Ok(())
}
