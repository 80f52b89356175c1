#!/usr/bin/env bash
# Scale-out throughput and idle-worker claim latency (docs/scale-out.md).
#   bench/scaleout.sh [WORKER_COUNTS...]   default: 1 2 4 8
# For each count N: a throw-away PostgreSQL cluster (build/postgres.sh), one API node and N workers of the
# built host, PROMPTS prompts (default 16*N) each running a 200 ms TestSleep (distinct durations, so no
# cache hits); prints prompts/s and the ratio to N x the one-worker figure. Then, with one idle worker,
# LATENCY_SAMPLES (default 50) prompts one at a time: the p50/p90 of the time from the prompt's insert to
# its claim (database clock, from the worker's debug log).
# Needs: dotnet build ComfySharp.slnx -c Release first; root (or an installed postgresql) for the cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
counts=("$@"); [ ${#counts[@]} -gt 0 ] || counts=(1 2 4 8)
dll=$(ls src/ComfySharp.Host/bin/Release/net10.0/*/comfysharp.dll 2>/dev/null | head -n 1)
[ -n "$dll" ] || { echo "build first: dotnet build ComfySharp.slnx -c Release" >&2; exit 1; }
work=$(mktemp -d /tmp/comfysharp-bench.XXXXXX)
pgdir=$(mktemp -d /tmp/comfysharp-bench-pg.XXXXXX) # its own folder: the cluster's owner must reach it
eval "$(bash build/postgres.sh start "$pgdir")"
pids=()
cleanup() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; bash build/postgres.sh stop "$pgdir"; rm -rf "$work"; }
trap cleanup EXIT
port=$(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<<"$COMFYSHARP_TEST_POSTGRES")
psql_() { psql -h 127.0.0.1 -p "$port" -U postgres -qtA "$@"; }

start_node() { # name role port [extra flags]
  local name=$1 role=$2 p=$3; shift 3
  dotnet "$dll" --base-directory "$work/$name" --output-directory "$work/out" --database "postgres://postgres@127.0.0.1:$port/$db" \
    --role "$role" --test-nodes --cpu --port "$p" --worker-id "$name" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
wait_listening() { for _ in $(seq 1 600); do grep -q "To see the GUI" "$work/$1.log" 2>/dev/null && return 0; sleep 0.2; done; echo "$1 did not start" >&2; cat "$work/$1.log" >&2; exit 1; }
prompt() { # seconds prefix
  printf '{"prompt":{"1":{"class_type":"StubImage","inputs":{"content":"WHITE","height":8,"width":8,"batch_size":1}},"2":{"class_type":"TestSleep","inputs":{"value":["1",0],"seconds":%s}},"3":{"class_type":"SaveImage","inputs":{"images":["2",0],"filename_prefix":"%s"}}}}' "$1" "$2"
}
history_count() { psql_ -d "$db" -c "SELECT count(*) FROM history;"; }
stop_all() { for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; pids=(); }

base=""
echo "workers  prompts  seconds  prompts/s  vs linear"
for n in "${counts[@]}"; do
  db="bench_$n"; psql_ -d comfysharp -c "CREATE DATABASE $db;"
  start_node api api 18300
  for i in $(seq 1 "$n"); do start_node "w$i" worker $((18300 + i)); done
  wait_listening api; for i in $(seq 1 "$n"); do wait_listening "w$i"; done
  total=${PROMPTS:-$((16 * n))}
  t0=$(date +%s.%N)
  for i in $(seq 1 "$total"); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:18300/prompt" -d "$(prompt "0.2$(printf '%05d' "$i")" "n${n}_$i")"
  done
  while [ "$(history_count)" -lt "$total" ]; do sleep 0.05; done
  t1=$(date +%s.%N)
  read -r secs rate < <(awk -v a="$t0" -v b="$t1" -v t="$total" 'BEGIN { s = b - a; printf "%.2f %.2f\n", s, t / s }')
  [ -n "$base" ] || base=$rate
  awk -v n="$n" -v t="$total" -v s="$secs" -v r="$rate" -v b="$base" 'BEGIN { printf "%7d  %7d  %7.2f  %9.2f  %8.0f%%\n", n, t, s, r, 100 * r / (b * n) }'
  stop_all
done

# Idle-worker claim latency: one worker, prompts one at a time, each after the previous finished.
db="bench_latency"; psql_ -d comfysharp -c "CREATE DATABASE $db;"
start_node api api 18300
start_node w1 worker 18301 --verbose DEBUG
wait_listening api; wait_listening w1
samples=${LATENCY_SAMPLES:-50}
for i in $(seq 1 "$samples"); do
  curl -s -o /dev/null -X POST "http://127.0.0.1:18300/prompt" -d "$(prompt "0.01$(printf '%05d' "$i")" "lat_$i")"
  while [ "$(history_count)" -lt "$i" ]; do sleep 0.02; done
  sleep 0.2 # the worker is idle (waiting on LISTEN) when the next prompt arrives
done
stop_all
grep -o 'attempt 1) [0-9.]* ms after' "$work/w1.log" | awk '{print $3}' | sort -g | awk '{ v[NR] = $1 } END {
  if (NR == 0) { print "no claim samples found"; exit 1 }
  printf "idle-worker claim latency over %d prompts: p50 %.2f ms, p90 %.2f ms\n", NR, v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)] }'
