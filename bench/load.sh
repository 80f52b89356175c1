#!/usr/bin/env bash
# The issue-8 load table in one command: builds the server and the load generator, starts a fresh
# server on loopback, warms it up (JIT tiering needs a few thousand prompts to settle), then measures
# every workload at 1, 16 and 64 clients and prints one markdown table.
#
#   bench/load.sh                      # --in-memory server (queue and history not persisted)
#   bench/load.sh --sqlite             # the default configuration: SQLite queue and history
#   bench/load.sh --also ref=http://127.0.0.1:8188   # also measure another server, same settings
#   bench/load.sh --quick              # fewer prompts (a smoke run, figures are rough)
#   bench/load.sh --auth               # auth overhead (issue 18): two servers side by side, one with --auth
#                                      # and a user's key, the other without; trivial prompts at 1/16/64 clients
set -euo pipefail
cd "$(dirname "$0")/.."
mode=--in-memory
scale=1
others=()
auth=0
while [ $# -gt 0 ]; do
    case "$1" in
        --sqlite) mode="" ;;
        --quick) scale=10 ;;
        --auth) auth=1 ;;
        --also) others+=(--server "$2"); shift ;;
        *) echo "usage: bench/load.sh [--sqlite] [--quick] [--auth] [--also NAME=URL]" >&2; exit 2 ;;
    esac
    shift
done
dotnet build src/ComfySharp.Host -c Release -nologo -v q
dotnet build bench/ComfySharp.LoadGen -c Release -nologo -v q
server=src/ComfySharp.Host/bin/Release/net10.0/linux-x64/comfysharp
loadgen=bench/ComfySharp.LoadGen/bin/Release/net10.0/linux-x64/ComfySharp.LoadGen
port=${PORT:-8288}
work=$(mktemp -d)
apid=
trap 'kill $pid $apid 2>/dev/null || true; wait $pid $apid 2>/dev/null || true; rm -rf "$work"' EXIT
wait_port() { for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$1) 2>/dev/null && return; sleep 0.2; done; }
mkdir -p "$work/off"
(cd "$work/off" && exec "$OLDPWD/$server" --port "$port" $mode) > "$work/server.log" 2>&1 &
pid=$!
wait_port "$port"
target=(--server comfysharp=http://127.0.0.1:$port --pid comfysharp=$pid "${others[@]}")
if [ "$auth" = 1 ]; then
    # The same binary and settings with --auth and an ordinary (non-admin) user's key: every request is
    # authenticated, every prompt is tagged, scoped and counted against the key's (unset) quotas.
    mkdir -p "$work/auth"
    (cd "$work/auth" && "$OLDPWD/$server" users add bench > /dev/null)
    key=$(cd "$work/auth" && "$OLDPWD/$server" keys create bench | head -n 1)
    (cd "$work/auth" && exec "$OLDPWD/$server" --port $((port + 1)) $mode --auth) > "$work/auth-server.log" 2>&1 &
    apid=$!
    wait_port $((port + 1))
    target=(--server auth-off=http://127.0.0.1:$port --pid auth-off=$pid
            --server auth-on=http://127.0.0.1:$((port + 1)) --pid auth-on=$apid --api-key "auth-on=$key")
fi
echo "warming up (JIT tiering)..." >&2
"$loadgen" "${target[@]}" --workload trivial --clients 1 --prompts $((4000 / scale)) --warmup 0 > /dev/null
"$loadgen" "${target[@]}" --workload trivial --clients 16 --prompts $((500 / scale)) --warmup 0 > /dev/null
[ "$auth" = 1 ] || "$loadgen" "${target[@]}" --workload cached,chain100,chain100-cached --clients 1 --prompts $((300 / scale)) --warmup 0 > /dev/null
uptime >&2
# Each run first sends unmeasured warm-up prompts with the same clients: the load generator is a fresh
# .NET process and JIT-compiles its own hot paths (without this its CPU per prompt is 2x and the
# throughput it can drive on two cores drops by ~20%).
run() { # workload clients prompts-per-client warm-up-prompts-in-all
    "$loadgen" "${target[@]}" --workload "$1" --clients "$2" --prompts $(( ($3 + scale - 1) / scale )) \
        --warmup $(( ($4 / scale + $2 - 1) / $2 )) --markdown "$work/row.md" >&2
    tail -n +3 "$work/row.md" | grep '^|' >> "$work/table.md"
}
: > "$work/table.md"
if [ "$auth" = 1 ]; then
    # Each setting runs against both servers one after the other (LoadGen's order), so the pair shares the machine's state.
    run trivial 1 2000 3000; run trivial 16 150 4800; run trivial 64 40 4800
    run trivial 1 2000 3000; run trivial 16 150 4800; run trivial 64 40 4800
else
run trivial 1 2000 3000;  run trivial 16 150 4800;  run trivial 64 40 4800
run cached 1 3000 3000;   run cached 16 200 4800;   run cached 64 50 4800
run chain100 1 200 200;   run chain100 16 10 320
run chain100-cached 1 1000 1000; run chain100-cached 16 60 1600
fi
echo
echo "| server | workload | clients | prompts/s | p50 ms | p95 ms | p99 ms | events | failed | RSS MiB | server CPU ms/prompt | LoadGen CPU ms/prompt |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
cat "$work/table.md"
