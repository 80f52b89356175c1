#!/usr/bin/env bash
# The inference table (issue 21): builds the server, writes the deterministic random SD1.5 checkpoint of
# golden/README.md (and SDXL's with --sdxl), starts a fresh server that finds it through an
# extra_model_paths.yaml, and prints one table — checkpoint load, text encode, UNet step (512², and
# 1024² with SDXL), VAE decode/encode at 512², peak RSS — timed by each server's own execution
# timestamps, median of --repeat runs. Any other ComfyUI-compatible server given with --also is measured
# in the same run (give it the same checkpoint file under the same name, e.g. with its own
# --extra-model-paths-config pointing at the folder this script prints), with the ratio.
#
#   bench/inference.sh                                   # SD1.5, ComfySharp alone
#   bench/inference.sh --also ref=http://127.0.0.1:8188 --also-pid ref=PID
#   bench/inference.sh --sdxl --repeat 1                 # SDXL (needs ~16 GiB free)
#   bench/inference.sh -- --bf16-unet                    # flags after -- go to the ComfySharp server
set -euo pipefail
cd "$(dirname "$0")/.."
kind=sd15 repeat=3 others=() server_flags=()
while [ $# -gt 0 ]; do
    case "$1" in
        --sdxl) kind=sdxl ;;
        --repeat) repeat=$2; shift ;;
        --also) others+=(--server "$2"); shift ;;
        --also-pid) others+=(--pid "$2"); shift ;;
        --) shift; server_flags=("$@"); break ;;
        *) echo "usage: bench/inference.sh [--sdxl] [--repeat N] [--also NAME=URL [--also-pid NAME=PID]] [-- server flags]" >&2; exit 2 ;;
    esac
    shift
done
dotnet build src/ComfySharp.Host -c Release -nologo -v q
dotnet build bench/ComfySharp.LoadGen -c Release -nologo -v q
dotnet build bench/ComfySharp.Benchmarks -c Release -nologo -v q
checkpoint=$(bench/ComfySharp.Benchmarks/bin/Release/net10.0/linux-x64/ComfySharp.Benchmarks --write-checkpoint "$kind" | tail -1)
echo "checkpoint: $checkpoint" >&2
server=$PWD/src/ComfySharp.Host/bin/Release/net10.0/linux-x64/comfysharp
loadgen=bench/ComfySharp.LoadGen/bin/Release/net10.0/linux-x64/ComfySharp.LoadGen
port=${PORT:-8290}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT
printf 'bench:\n    base_path: %s\n    checkpoints: .\n' "$(dirname "$checkpoint")" > "$work/extra_model_paths.yaml"
(cd "$work" && exec "$server" --port "$port" --extra-model-paths-config "$work/extra_model_paths.yaml" "${server_flags[@]}") > "$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 150); do
    (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null && break
    sleep 0.2
done
sizes=512
[ "$kind" = sdxl ] && sizes=512,1024
uptime >&2
"$loadgen" --server comfysharp=http://127.0.0.1:$port --pid comfysharp=$pid "${others[@]}" --inference \
    --checkpoint "$(basename "$checkpoint")" --repeat "$repeat" --sizes "$sizes"
