#!/usr/bin/env bash
# dynamodb-local.sh start PORT | stop PORT: runs DynamoDB Local in memory on 127.0.0.1:PORT.
set -euo pipefail
cd "$(dirname "$0")/.."
action=${1:?start or stop}; port=${2:?port}
dir="$PWD/.cache/dynamodb-local"; pidfile="$PWD/.cache/dynamodb-local-$port.pid"
case "$action" in
  start)
    if curl -s -o /dev/null "http://127.0.0.1:$port"; then
      echo "dynamodb-local: port $port is already in use" >&2; exit 1
    fi
    (cd "$dir" && exec java -Xmx512m -Djava.library.path=./DynamoDBLocal_lib -jar DynamoDBLocal.jar \
      -inMemory -port "$port" >"$PWD/../dynamodb-local-$port.log" 2>&1) &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      curl -s -o /dev/null "http://127.0.0.1:$port" && exit 0
      sleep 0.2
    done
    echo "dynamodb-local: did not start; see .cache/dynamodb-local-$port.log" >&2; exit 1 ;;
  stop)
    [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile" ;;
esac
