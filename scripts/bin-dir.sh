#!/usr/bin/env bash
# bin-dir.sh [debug|release]: where cargo puts this workspace's binaries, wherever CARGO_TARGET_DIR (or a
# cargo config) points the target directory.
set -euo pipefail
cd "$(dirname "$0")/.."
profile=${1:-debug}
target=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
echo "$target/$profile"
