#!/usr/bin/env bash
# Imports N customers (default 100000; a quarter with a second lot that expires) from a CSV into a new shop
# of the DynamoDB Local at DYNAMODB_ENDPOINT with `tally-cli import`, checks that every one was imported and
# that a second run finds them all there, and prints the import's figures. `make bench` appends them to
# bench/report.md (REPORT=bench/report.md); `make test` runs 2,000.
set -euo pipefail
cd "$(dirname "$0")/.."
count=${1:-100000}
profile=${PROFILE:-debug}
cli="$(scripts/bin-dir.sh "$profile")/tally-cli"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$count" "$work/customers.csv" <<'PY'
import random, sys
count, path = int(sys.argv[1]), sys.argv[2]
random.seed(20261206)
with open(path, "w") as f:
    f.write("customerId,email,vipTier,points,expiresAt\n")
    for i in range(1, count + 1):
        cid = 7_000_000_000 + i
        f.write(f"{cid},c{i}@example.com,{'Gold' if i % 10 == 0 else ''},{random.randint(0, 5000)},\n")
        if i % 4 == 0:
            f.write(f"{cid},,,{random.randint(1, 500)},2031-01-01T00:00:00Z\n")
PY
export TABLE_NAME="import-bench-$$"
shop="import-bench-$$.myshopify.com"
"$cli" table create
TALLY_ACCESS_TOKEN=shpat_bench TALLY_CLIENT_SECRET=bench "$cli" shop create --domain "$shop" 2>/dev/null
"$cli" import --shop "$shop" --format csv --customers "$work/customers.csv" --concurrency 32 > "$work/first.json"
"$cli" import --shop "$shop" --format csv --customers "$work/customers.csv" --concurrency 32 > "$work/second.json"
python3 - "$count" "$work/first.json" "$work/second.json" "${REPORT:-}" <<'PY'
import json, sys
count, first, second, report = int(sys.argv[1]), json.load(open(sys.argv[2])), json.load(open(sys.argv[3])), sys.argv[4]
assert first["customers"]["imported"] == count and first["customers"]["refused"] == 0, first
assert second["customers"]["alreadyThere"] == count and second["customers"]["imported"] == 0, second
lots = count + count // 4
line = (f"- {count:,} customers ({lots:,} lots) from a CSV: {first['seconds']} s, "
        f"{first['recordsPerSecond']:,.0f} customers a second (32 at once); the second run, which finds them "
        f"all there: {second['seconds']} s")
print("import:", line)
if report:
    with open(report, "a") as f:
        f.write("\n## Import\n\n`tally-cli import` into DynamoDB Local on this machine "
                "(`scripts/import-bench.sh`):\n\n" + line + "\n")
PY
