#!/usr/bin/env bash
# Installs the Debian packages the tests need, only those missing (a no-op on a machine that has them).
# scripts/test.sh runs it first, so the README's test command works on a fresh machine; .ci/run runs it too.
#   prometheus: promtool, which checks the /metrics exposition (integration tests).
#   chromium:   Debian's Chromium, driven by Playwright in the browser tests (Playwright's own browser
#               download cannot work here; the tests launch /usr/bin/chromium).
#   espeak-ng:  speaks the browser tests' microphone input, and the phone tests' caller, at test time.
#   sox:        converts the phone tests' caller to µ-law 8 kHz, as the phone network carries it (a reference
#               encoder: the bridge's own µ-law code has no part in making the caller's audio).
#   curl:       the publish smoke polls /healthz with it.
#   redis-server: the fleet tests (Cluster:Redis) start their own on a free loopback port, no persistence.
#   haproxy:    `haproxy -c` checks deploy/haproxy/haproxy.cfg, the compose file's proxy (deploy tests; they never start it).
set -euo pipefail

packages=(prometheus chromium espeak-ng sox curl redis-server haproxy)

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if ((${#missing[@]} == 0)); then
    echo "test dependencies present: ${packages[*]}"
    exit 0
fi

echo "installing test dependencies: ${missing[*]}"
sudo_cmd=()
if ((EUID != 0)); then sudo_cmd=(sudo -n); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -q </dev/null
# With recommends: Chromium's fonts come that way, and the screenshots should show text.
"${sudo_cmd[@]}" apt-get install -y -q "${missing[@]}" </dev/null
