#!/usr/bin/env bash
# smoke.sh API_URL API_KEY CUSTOMER_ID RULE_ID: one redemption against a deployed (or local) Tally, then the
# customer's loyalty read back. Exits non-zero unless the redemption was answered 200 with a code and the
# balance read back agrees with it.
set -euo pipefail
api=${1:?the API URL (the ApiUrl output of sam deploy)}; key=${2:?an API key}; customer=${3:?a customer id}; rule=${4:?a rule id}
redeemed=$(curl -sS -w '\n%{http_code}' -X POST "$api/api/external/redeem-points" -H "X-API-Key: $key" \
  -H 'content-type: application/json' -H "Idempotency-Key: smoke-$(date +%s)" \
  -d "{\"customerId\": $customer, \"redeemRuleId\": $rule}")
status=$(tail -n1 <<<"$redeemed"); body=$(sed '$d' <<<"$redeemed")
[ "$status" = 200 ] || { echo "smoke: the redemption answered $status: $body" >&2; exit 1; }
python3 - "$body" "$(curl -sS "$api/api/external/customer-loyalty?customerId=$customer" -H "X-API-Key: $key")" <<'PY'
import json, sys
redeemed, loyalty = json.loads(sys.argv[1]), json.loads(sys.argv[2])
code = redeemed["reward"].get("discountCode") or "(store credit)"
assert loyalty["availablePoints"] == redeemed["availablePoints"], (loyalty, redeemed)
print(f"smoke: redeemed {redeemed['reward']['pointsRedeemed']} points for {code}; {loyalty['availablePoints']} left")
PY

