#!/usr/bin/env bash
# Nightly-style fuzz campaigns (issue 22): the prompt fuzzer and the path fuzzer of
# test/ComfySharp.Server.Tests/Hardening with more prompts and several seeds. Each campaign ends with a
# valid prompt run and /history, /queue, /api/jobs parsed; any 5xx, escape or crash fails it. Then the GC
# sweep over every class that needs a model, at default, minimum and maximum widgets (not in the CI run: long).
# Usage: bench/fuzz.sh [prompts per seed, default 100000] [seeds, default "1 2 3 22"]
# Reproduce one finding: COMFYSHARP_FUZZ_SEED=<seed> COMFYSHARP_FUZZ_PROMPTS=<n> with the same filter.
set -euo pipefail
cd "$(dirname "$0")/.."
prompts="${1:-100000}"
seeds="${2:-1 2 3 22}"
dotnet build test/ComfySharp.Server.Tests -c Release -nologo -v q
status=0
for seed in $seeds; do
  echo "== seed $seed, $prompts prompts"
  COMFYSHARP_FUZZ_SEED="$seed" COMFYSHARP_FUZZ_PROMPTS="$prompts" \
    dotnet test test/ComfySharp.Server.Tests -c Release --no-build -nologo \
      --filter "FullyQualifiedName~Hardening.PromptFuzzTests|FullyQualifiedName~Hardening.PathFuzzTests" \
      --logger "console;verbosity=detailed" | grep -E "seed [0-9]+:|Passed |Failed |failed" || status=1
done
echo "== every node class with the SD1.5 checkpoint under forced collections, default/minimum/maximum widgets"
COMFYSHARP_MODEL_SWEEP=Default,Minimum,Maximum \
  dotnet test test/ComfySharp.Server.Tests -c Release --no-build -nologo \
    --filter "FullyQualifiedName~Hardening.EveryModelNodeGcStressTests" \
    --logger "console;verbosity=detailed" | grep -E "models, |Passed |Failed |failed|programming" || status=1
exit $status
