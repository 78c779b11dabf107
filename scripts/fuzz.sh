#!/usr/bin/env bash
# make fuzz: runs the local stack on free ports and schemathesis against it from openapi.yaml. It fails on
# any 5xx, and on any status, content type, header or body the document does not allow.
# FUZZ_EXAMPLES sets the examples per operation (default 100; make test runs a short, bounded 15).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
export PORT=$(free_port) DYNAMODB_PORT=$(free_port) SHOPIFY_EMULATOR_PORT=$(free_port) TABLE_NAME=fuzz
KEY=${TALLY_DEV_API_KEY:-tly_demo_local_development_key}
mkdir -p .cache/logs .cache/fuzz
log=.cache/logs/fuzz-stack.log
setsid scripts/dev.sh >"$log" 2>&1 &
stack=$!
trap 'kill -TERM -- "-$stack" 2>/dev/null || true; wait "$stack" 2>/dev/null || true' EXIT
for _ in $(seq 1 600); do
  grep -q "Tally is running" "$log" && break
  kill -0 "$stack" 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.5
done
grep -q "Tally is running" "$log" || { echo "fuzz: the stack did not start; see $log" >&2; exit 1; }
rm -f .cache/fuzz/requests.har
# One worker: with two threads, hypothesis's ast.parse trips CPython 3.11's "AST constructor recursion depth
# mismatch" now and then, a crash of the fuzzer rather than a finding.
.cache/venv/bin/schemathesis run openapi.yaml --url "http://127.0.0.1:$PORT" -H "X-API-Key: $KEY" -H "Authorization: $KEY" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --max-examples "${FUZZ_EXAMPLES:-100}" --seed "${FUZZ_SEED:-20261123}" --workers 1 \
  --report har --report-har-path .cache/fuzz/requests.har
python3 -c 'import json; print("fuzz: %d requests sent" % len(json.load(open(".cache/fuzz/requests.har"))["log"]["entries"]))'
