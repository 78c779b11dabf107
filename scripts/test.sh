#!/usr/bin/env bash
# make test: installs what is missing, checks and bundles the Shopify extensions, starts DynamoDB Local on a
# free port, runs every test of the workspace against it, checks every response they saw against openapi.yaml,
# fuzzes the local stack briefly from it, lints the code and template.yaml, and stops what it started.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "extensions: type-checked against @shopify/ui-extensions, unit-tested, bundled; shopify.app.toml and the"
echo "extensions validated by the Shopify CLI (shopify app build, offline), Theme Check on the theme extension"
(cd shopify && npm run --silent check)
echo "check: the scripts find the binaries wherever CARGO_TARGET_DIR puts them"
[ "$(CARGO_TARGET_DIR=/elsewhere/target scripts/bin-dir.sh debug)" = /elsewhere/target/debug ]
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'scripts/dynamodb-local.sh stop "$port"' EXIT
scripts/dynamodb-local.sh start "$port"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$port"
export CONTRACT_LOG="$PWD/.cache/contract"
rm -rf "$CONTRACT_LOG"
# The crash test runs the local API server's binary, which cargo test does not build for another package.
cargo build --workspace --bins
cargo test --workspace --all-targets -- --show-output
echo "contract: every response the tests saw, against openapi.yaml"
.cache/venv/bin/python scripts/contract.py openapi.yaml "$CONTRACT_LOG"
echo "import: 2,000 customers through tally-cli import, twice (make bench imports 100,000)"
scripts/import-bench.sh 2000
echo "fuzz: a short, bounded schemathesis run (make fuzz runs a longer one)"
FUZZ_EXAMPLES=15 scripts/fuzz.sh
echo "lint: rustfmt, clippy"
cargo fmt --all --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
echo "lint: template.yaml"
.cache/venv/bin/cfn-lint template.yaml
echo "template.yaml: cfn-lint found nothing"
