#!/usr/bin/env bash
# Soak (issue 22): builds the server and the load generator, starts a fresh server with the default
# SQLite queue and history in a temporary folder, and runs 64 clients for a fixed time with a seeded mix
# of valid prompts, prompts that fail validation, bodies the door refuses and prompts that fail while
# executing. Prints RSS, threads and open handles over time and checks that nothing was lost.
#
#   bench/soak.sh                  # 30 minutes, 64 clients, 100 ms think time between a client's prompts
#   bench/soak.sh --minutes 2 --clients 16 --think-ms 0 --seed 7
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=30 clients=64 think=100 seed=1
while [ $# -gt 0 ]; do
    case "$1" in
        --minutes) minutes=$2; shift ;;
        --clients) clients=$2; shift ;;
        --think-ms) think=$2; shift ;;
        --seed) seed=$2; shift ;;
        *) echo "usage: bench/soak.sh [--minutes N] [--clients N] [--think-ms N] [--seed N]" >&2; exit 2 ;;
    esac
    shift
done
dotnet build src/ComfySharp.Host -c Release -nologo -v q
dotnet build bench/ComfySharp.LoadGen -c Release -nologo -v q
server=$PWD/src/ComfySharp.Host/bin/Release/net10.0/linux-x64/comfysharp
loadgen=bench/ComfySharp.LoadGen/bin/Release/net10.0/linux-x64/ComfySharp.LoadGen
port=${PORT:-8289}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
(cd "$work" && exec "$server" --port "$port") > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.2
done
uptime >&2
status=0
"$loadgen" --server comfysharp=http://127.0.0.1:$port --pid comfysharp=$pid --soak $((minutes * 60)) \
    --clients "$clients" --think-ms "$think" --seed "$seed" --csv "${SOAK_CSV:-/dev/null}" || status=$?
kill -0 $pid 2>/dev/null || { echo "soak: the server died" >&2; status=1; }
echo "server log: $(grep -c ' fail: \|Unhandled' "$work/server.log" || true) failure lines, $(wc -l < "$work/server.log") lines in all"
exit $status
