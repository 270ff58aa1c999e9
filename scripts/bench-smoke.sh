#!/usr/bin/env bash
# Benchmark smoke: a short run of the active scenario (bench/VoiceBridge.Bench), so the benchmark never rots.
# It builds the bench, publishes the bridge with scripts/publish.sh, and prints the figures table.
# The figures are printed, never asserted (CI machines are noisy). It fails only when the tool itself fails
# (cannot build, publish or start the bridge) or when a frame is lost or reordered, which is a real bug.
#
#   scripts/bench-smoke.sh [extra bench options]      e.g. --binary
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

started=$SECONDS
dotnet build bench/VoiceBridge.Bench/VoiceBridge.Bench.csproj -c Release -nologo -v quiet -clp:NoSummary </dev/null
dotnet run -c Release --no-build --project bench/VoiceBridge.Bench -- \
    --scenario active --sessions 20 --warmup 1 --jit-settle 0 --seconds 4 "$@" </dev/null
echo "bench smoke: PASSED in $((SECONDS - started)) s (figures above are informative only)"
