#!/usr/bin/env bash
# make dev: the whole stack on this machine. DynamoDB Local, the Shopify emulator and the local API
# server, a seeded demo shop, and a curl command that redeems points. Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${PORT:-3000}
DYNAMODB_PORT=${DYNAMODB_PORT:-8000}
SHOPIFY_EMULATOR_PORT=${SHOPIFY_EMULATOR_PORT:-8081}
export TABLE_NAME=${TABLE_NAME:-tally}
KEY=${TALLY_DEV_API_KEY:-tly_demo_local_development_key}
DOMAIN=demo.myshopify.com
CLIENT_ID=demo_client_id
API="http://127.0.0.1:$PORT"
EMULATOR="http://127.0.0.1:$SHOPIFY_EMULATOR_PORT"
export DYNAMODB_ENDPOINT="http://127.0.0.1:$DYNAMODB_PORT"
# The events' destinations besides Shopify: the emulator stands in for EventBridge and Klaviyo.
export EVENT_BUS_NAME=tally EVENTBRIDGE_ENDPOINT="$EMULATOR" KLAVIYO_URL="$EMULATOR"

scripts/setup.sh
# The UI extensions' bundles, which the emulator's customer-account and checkout pages load.
(cd shopify && npm run --silent build)
cargo build --workspace --bins
BIN=$(scripts/bin-dir.sh debug)
mkdir -p .cache/logs
pids=()
cleanup() {
  trap - EXIT INT TERM
  [ ${#pids[@]} -gt 0 ] && kill "${pids[@]}" 2>/dev/null || true
  scripts/dynamodb-local.sh stop "$DYNAMODB_PORT"
  echo "stopped"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_for() { for _ in $(seq 1 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.2; done; echo "$2 did not start" >&2; exit 1; }

scripts/dynamodb-local.sh start "$DYNAMODB_PORT"
"$BIN"/tally-cli table create
SHOPIFY_EMULATOR_PORT=$SHOPIFY_EMULATOR_PORT "$BIN"/shopify-emulator >.cache/logs/emulator.log 2>&1 &
pids+=($!)
wait_for "$EMULATOR/__emulator/health" "the Shopify emulator"
PORT=$PORT "$BIN"/local-api &
pids+=($!)
wait_for "$API/api/external/point-redeem-rules" "the local API server"

post() { curl -sf -X POST "$1" -H 'content-type: application/json' -H "X-API-Key: $KEY" -d "$2" >/dev/null; }
SECRET=demo_client_secret
# The demo shop's app, as the Dev Dashboard makes them: a client id and secret, tokens by the client
# credentials grant.
post "$EMULATOR/__emulator/shops" "{\"domain\": \"$DOMAIN\", \"clientId\": \"$CLIENT_ID\", \"clientSecret\": \"$SECRET\", \"appProxyUrl\": \"$API/loyalty/cp\"}"
TALLY_CLIENT_SECRET=$SECRET "$BIN"/tally-cli shop connect --domain "$DOMAIN" --client-id "$CLIENT_ID" \
  --admin-url "$EMULATOR/shops/$DOMAIN" --webhook-url "$API/webhooks/shopify" --code-prefix DEMO- 2>/dev/null
"$BIN"/tally-cli api-key create --shop "$DOMAIN" --key "$KEY" >/dev/null
KLAVIYO_KEY=pk_demo_local "$BIN"/tally-cli shop set --shop "$DOMAIN" >/dev/null
# The demo's variants, rules and customers (scripts/demo.json; the storefront test starts from the same).
python3 - "$EMULATOR" "$API" "$DOMAIN" "$KEY" scripts/demo.json <<'PY' || { echo "the demo data did not load" >&2; exit 1; }
import datetime, json, sys, urllib.request
emulator, api, domain, key, path = sys.argv[1:6]
demo = json.load(open(path))
def post(url, body):
    request = urllib.request.Request(url, json.dumps(body).encode(), {"content-type": "application/json", "X-API-Key": key})
    urllib.request.urlopen(request).read()
for variant in demo["variants"]:
    post(f"{emulator}/__emulator/shops/{domain}/variants", variant)
for rule in demo["rules"]:
    post(f"{api}/api/external/point-redeem-rules", rule)
for customer in demo["customers"]:
    post(f"{api}/api/external/customers", customer["enroll"])
    post(f"{api}/api/external/add-points", {"customerId": customer["enroll"]["customerId"], "points": customer["points"], "reason": "welcome bonus"})
    if "expiring" in customer:
        expires = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(days=customer["expiring"]["inDays"])
        post(f"{api}/api/external/add-points", {"customerId": customer["enroll"]["customerId"], "points": customer["expiring"]["points"],
             "reason": "spring promotion", "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ")})
PY

cat <<BANNER

Tally is running.
  API                 $API
  Shopify emulator    $EMULATOR   (logs in .cache/logs/emulator.log)
  DynamoDB Local      $DYNAMODB_ENDPOINT, table $TABLE_NAME
  demo shop           $DOMAIN
  demo API key        $KEY
  storefront          $EMULATOR/shops/$DOMAIN/storefront?customer=1001   (the widget, as customer 1001)
  customer account    $EMULATOR/shops/$DOMAIN/account?customer=1001      (the profile block)
                      $EMULATOR/shops/$DOMAIN/account/rewards?customer=1001   (the Rewards page; &locale=fr)
  checkout            $EMULATOR/shops/$DOMAIN/checkout?customer=1001&subtotal=40.00   (reductions, Plus)
  thank-you page      $EMULATOR/shops/$DOMAIN/thank-you/<order id>?customer=1001
  (drop ?customer= for a guest; the extensions are shopify/extensions/tally-*, rebuilt by
   \`cd shopify && npm run build\`)

Redeem 500 of customer 1001's points for \$5 off:
  curl -s -X POST $API/api/external/redeem-points -H 'X-API-Key: $KEY' -H 'content-type: application/json' -d '{"customerId": 1001, "redeemRuleId": 1}'

Then look:
  curl -s '$API/api/external/customer-loyalty?customerId=1001' -H 'X-API-Key: $KEY'
  curl -s $EMULATOR/__emulator/shops/$DOMAIN/state

Place an order with the code (the emulator sends Tally a signed orders/create webhook; the reward becomes USED):
  curl -s -X POST $EMULATOR/__emulator/shops/$DOMAIN/orders -H 'content-type: application/json' -d '{"codes": ["<discountCode>"], "customerId": 1001}'
Add "delayPointsDeduction": true to the redemption to hold the points until that order arrives.

Every change becomes events (README, "Events"), within a second:
  curl -s $EMULATOR/__emulator/eventbridge/events     (the bus)
  curl -s $EMULATOR/__emulator/klaviyo/events         (Klaviyo, with the demo shop's key)
  the shop's state above lists the customers' metafields and the Flow triggers fired

Ctrl-C stops everything.
BANNER
wait
