#!/usr/bin/env bash
# make bench: builds the release binaries, starts DynamoDB Local on a free port, runs the benchmark
# (which starts the Shopify emulator and the local API server itself), writes bench/report.md and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# The functions on their own, as a deployment builds each one, so that the tools' features (the local
# server's HTTP server, the CLI's credential chain) do not end up in them; then the benchmark itself.
cargo build --release $(for f in functions/*/; do printf -- '-p %s ' "$(basename "$f")"; done)
cargo build --release -p bench -p tally-cli
# The arm64 bootstraps Lambda runs (`make release`), for their sizes: cargo-lambda from PyPI, into .cache/venv.
[ -x .cache/venv/bin/cargo-lambda ] || .cache/venv/bin/pip install --quiet --disable-pip-version-check cargo-lambda
PATH="$PWD/.cache/venv/bin:$PATH" make release
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'scripts/dynamodb-local.sh stop "$port"' EXIT
scripts/dynamodb-local.sh start "$port"
DYNAMODB_ENDPOINT="http://127.0.0.1:$port" RUST_LOG=warn "$(scripts/bin-dir.sh release)/bench"
# A test's figures as a section of the report: its lines that begin with MARK, under a title and a sentence.
section() {
  local mark=$1 title=$2 intro=$3
  shift 3
  local lines
  lines=$(DYNAMODB_ENDPOINT="http://127.0.0.1:$port" "$@" -- --test-threads=1 --nocapture 2>&1 | sed -n "s/^.*$mark /- /p")
  printf '\n## %s\n\n%s\n\n%s\n' "$title" "$intro" "$lines" >> bench/report.md
}
# The jobs and a shop's deletion at a large shop's size (tests/tests/jobs_at_scale.rs), alone in their
# process so that its peak memory is theirs.
SCALE_SHOPS=20 SCALE_BACKLOG=20000 SCALE_CUSTOMERS=10000 section SCALE "Jobs and deletion at scale" \
  "Over DynamoDB Local, as the state machines run them (every shop at once, slice after slice):" \
  cargo test --release -p tally-tests --test tally jobs_at_scale
# Events out: events a second through the events function, and the delay from commit to the bus.
EVENTS_BENCH=2000 section EVENTS "Events" \
  "Over DynamoDB Local's stream, read as the event source mapping reads it, every destination the emulator's:" \
  cargo test --release -p tally-tests --test tally events::events_a_second
# The widget's cost to a storefront's Lighthouse performance score (tests/tests/lighthouse.rs).
(cd shopify && npm run --silent build)
LIGHTHOUSE_RUNS=3 section LIGHTHOUSE "Storefront performance" \
  "Lighthouse's performance score of the emulator's storefront page, as customer 1001, with and without the widget:" \
  cargo test --release -p tally-tests --test tally lighthouse
# A shop moving in: 100,000 customers through `tally-cli import`.
PROFILE=release REPORT=bench/report.md DYNAMODB_ENDPOINT="http://127.0.0.1:$port" scripts/import-bench.sh 100000
tail -n 12 bench/report.md
