//! Runs the Shopify emulator on `SHOPIFY_EMULATOR_PORT` (8081 by default), on 127.0.0.1.

use std::net::SocketAddr;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("SHOPIFY_EMULATOR_PORT") {
        Ok(port) => port.parse().map_err(|_| std::io::Error::other("SHOPIFY_EMULATOR_PORT must be a port number"))?,
        Err(_) => 8081,
    };
    let emulator = shopify_emulator::Emulator::new();
    let bound = emulator.serve(SocketAddr::from(([127, 0, 0, 1], port))).await?;
    println!("Shopify emulator (Admin API {}) on http://{bound}", shopify_emulator::API_VERSION);
    tokio::signal::ctrl_c().await
}
