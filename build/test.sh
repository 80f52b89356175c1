#!/usr/bin/env bash
# Builds the solution and runs every test project, then prints one summary line "N passed, N failed".
# Usage: build/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Engine]
set -uo pipefail
cd "$(dirname "$0")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

bash build/setup.sh || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }

# A throw-away PostgreSQL cluster for the scale-out tests (installed from apt when missing; under CI a
# failure here fails the run, elsewhere those tests are skipped). Stopped however the run ends.
if pg_env=$(bash build/postgres.sh start); then
  eval "$pg_env"
  trap 'bash build/postgres.sh stop "$COMFYSHARP_TEST_POSTGRES_DIR"' EXIT
elif [ "${CI:-}" = "true" ]; then
  echo "postgres setup failed"; echo "0 passed, 1 failed"; exit 1
else
  echo "PostgreSQL unavailable: the scale-out tests will be skipped"
fi

results="TestResults"
rm -rf "$results"
if ! dotnet build ComfySharp.slnx -c Release -nologo -v q; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

dotnet test ComfySharp.slnx -c Release --no-build -nologo \
  --logger "trx" --logger "console;verbosity=minimal" --results-directory "$results" "$@"
status=$?

passed=0; failed=0; total=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  line=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$line"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$line")
  t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$line")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); total=$((total + ${t:-0}))
done
# A test host that crashed leaves no counters: count it as a failure rather than hide it.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
if [ "$total" -eq 0 ]; then failed=$((failed + 1)); fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
