#!/usr/bin/env bash
# Sets up the engines, builds with warnings as errors and runs every test project against the real engines
# (chDB, librdkafka's mock cluster, an Apache Kafka 0.9 broker). Ends with the totals as one line:
# "N passed, N failed, N skipped".
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

dotnet build FeedbackStream.sln -c Release -nologo -v quiet -warnaserror

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
# The whole run is bounded; each test bounds its own waits too.
timeout --signal=TERM --kill-after=30s 40m \
  dotnet test --solution FeedbackStream.sln -c Release --no-build -- --no-progress 2>&1 | tee "$log" || status=$?

# Microsoft.Testing.Platform prints one summary per run; add them up.
read -r passed failed skipped < <(awk '
  /^[[:space:]]*failed:[[:space:]]*[0-9]+/    { f += $2 }
  /^[[:space:]]*succeeded:[[:space:]]*[0-9]+/ { p += $2 }
  /^[[:space:]]*skipped:[[:space:]]*[0-9]+/   { s += $2 }
  END { print p+0, f+0, s+0 }' "$log")
if [[ $status -ne 0 && $failed -eq 0 ]]; then
  # A crash or time-out without a failed test is still a failure.
  failed=1
  echo "test run ended with exit code $status" >&2
fi
echo "${passed} passed, ${failed} failed, ${skipped} skipped"
[[ $status -eq 0 && $failed -eq 0 ]]
