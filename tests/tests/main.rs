//! Every integration test, in one binary: each module is a feature, tested as a user meets it, against the
//! local API server, DynamoDB Local and the Shopify emulator (`tally_tests::Stack`).

mod activity;
mod api_errors;
mod appstle;
mod architecture;
mod audit;
mod chaos;
mod client_limits;
mod codes_used_in_a_race;
mod connect;
mod crash;
mod events;
mod extensions;
mod idempotency;
mod identities;
mod import;
mod jobs;
mod jobs_at_scale;
mod lots;
mod mage;
mod money_on_the_wire;
mod orders;
mod portal;
mod redeem;
mod refund;
mod retries;
mod reward_order;
mod rules;
mod sample_events;
mod schema;
mod simulation;
mod store_conditions;
mod storefront;
mod variable;
mod webhook_chaos;
mod yotpo;
