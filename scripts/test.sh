#!/usr/bin/env bash
# The test command: installs the Debian packages the tests need when missing (scripts/install-test-deps.sh:
# Chromium and espeak-ng for the browser tests, promtool), builds and runs every test project in the solution,
# then prints the plain line "N passed, M failed" summed over all test assemblies. Fails if any test failed, if
# the run failed (build error, crashed or hung test host) or if no test ran at all.
#
#   scripts/test.sh [extra dotnet test arguments, e.g. --filter FullyQualifiedName~Process]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

bash scripts/install-test-deps.sh

results="$root/artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"
log="$results/dotnet-test.log"

# A hung test host is reported (with the tests that were running) instead of stalling CI.
set +e
dotnet test VoiceBridge.sln -c Release \
    --logger "console;verbosity=minimal" \
    --logger "trx;LogFilePrefix=tests" \
    --results-directory "$results" \
    --blame-hang-timeout 5m --blame-hang-dump-type none \
    "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

# One summary line per test assembly, e.g.
#   Passed!  - Failed:     0, Passed:    40, Skipped:     0, Total:    40, Duration: 2 s - VoiceBridge.Tests.dll (net10.0)
#   Failed!  - Failed:     1, Passed:    12, Skipped:     0, Total:    13, Duration: 9 s - VoiceBridge.IntegrationTests.dll (net10.0)
passed=0
failed=0
assemblies=0
while IFS= read -r line; do
    if [[ "$line" =~ (Passed|Failed)!\ +-\ +Failed:\ +([0-9]+),\ +Passed:\ +([0-9]+), ]]; then
        failed=$((failed + BASH_REMATCH[2]))
        passed=$((passed + BASH_REMATCH[3]))
        assemblies=$((assemblies + 1))
    fi
done <"$log"

echo
echo "$passed passed, $failed failed"

if ((status != 0)); then
    echo "scripts/test.sh: dotnet test exited with code $status (over $assemblies test assemblies that reported)" >&2
    exit "$status"
fi
if ((failed > 0)); then
    exit 1
fi
if ((passed == 0)); then
    echo "scripts/test.sh: no test ran" >&2
    exit 1
fi
