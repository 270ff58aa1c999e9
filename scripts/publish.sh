#!/usr/bin/env bash
# The one publish command. The Dockerfile's build stage and CI's publish smoke both run this script,
# so what CI starts and checks is exactly what the image would contain.
#
#   scripts/publish.sh <output dir>      (run from anywhere; paths resolve against the repo root)
#   scripts/publish.sh --restore         (only the restore that publish needs: the Dockerfile's cached layer)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <output dir>" >&2
    exit 64
fi

out="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# ReadyToRun (precompiled code for this machine's architecture, still framework-dependent: `dotnet VoiceBridge.dll`)
# for a faster start (the first /healthz answer; see bench/README.md); the hot path is recompiled at tier 1 within
# seconds either way, so it is not there for steady-state speed. On an architecture without a runtime identifier
# here, plain IL.
case "$(uname -m)" in
    x86_64) rid=linux-x64 ;;
    aarch64 | arm64) rid=linux-arm64 ;;
    *) rid="" ;;
esac
r2r=()
if [[ -n "$rid" ]]; then
    r2r=(-r "$rid" -p:PublishReadyToRun=true)
fi

if [[ "$out" == "--restore" ]]; then
    exec dotnet restore src/VoiceBridge/VoiceBridge.csproj "${r2r[@]}"
fi

dotnet publish src/VoiceBridge/VoiceBridge.csproj -c Release -o "$out" /p:UseAppHost=false --self-contained false "${r2r[@]}"
