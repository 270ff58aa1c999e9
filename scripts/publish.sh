#!/usr/bin/env bash
# The one publish command. The Dockerfile's build stage and CI's publish smoke both run this script,
# so what CI starts and checks is exactly what the image would contain.
#
#   scripts/publish.sh <output dir>      (run from anywhere; paths resolve against the repo root)
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: $0 <output dir>" >&2
    exit 64
fi

out="$1"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

dotnet publish src/VoiceBridge/VoiceBridge.csproj -c Release -o "$out" /p:UseAppHost=false
