#!/usr/bin/env bash
# make sim: the seeded simulation (tools/sim), long. SEEDS seeds (default 100) of OPS steps (default 2000)
# over the in-memory fakes, from FIRST_SEED (default 1); SEED=n runs only seed n; STEPS=3,41,57 only those
# steps of its schedule (as a shrunk failure prints them); DYNAMODB=1 runs in lockstep over DynamoDB Local
# and the Shopify emulator as well (started here).
set -euo pipefail
cd "$(dirname "$0")/.."
args=(--ops "${OPS:-2000}")
if [ -n "${SEED:-}" ]; then args+=(--seed "$SEED"); else args+=(--seeds "${SEEDS:-100}" --first-seed "${FIRST_SEED:-1}"); fi
[ -n "${STEPS:-}" ] && args+=(--steps "$STEPS")
cargo build --release -p tally-sim
bin="$(scripts/bin-dir.sh release)/tally-sim"
if [ -n "${DYNAMODB:-}" ]; then
  scripts/setup.sh
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  trap 'scripts/dynamodb-local.sh stop "$port"' EXIT
  scripts/dynamodb-local.sh start "$port"
  args+=(--dynamodb "http://127.0.0.1:$port")
fi
"$bin" "${args[@]}"
