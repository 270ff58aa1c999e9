#!/usr/bin/env bash
# Publish smoke: publish with the Dockerfile's own command (scripts/publish.sh), start the output the way the
# image does (dotnet VoiceBridge.dll, Production, ASPNETCORE_HTTP_PORTS), and check that it serves /healthz,
# that its HEALTHCHECK command passes, that its logs are JSON without the key, and that SIGTERM ends it with
# exit code 0 inside Docker's 10 s grace period. The upstream URL points at a closed loopback port: nothing
# leaves the machine (and nothing connects upstream anyway until a browser opens /voice).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

readonly api_key="sk-dummy-not-used"
readonly health_timeout_s=20
readonly stop_timeout_s=10

work="$(mktemp -d "${TMPDIR:-/tmp}/voicebridge-smoke.XXXXXX")"
publish_dir="$work/publish"
log="$work/bridge.log"
pid=""

fail() {
    echo "publish smoke: FAIL: $*" >&2
    if [[ -s "$log" ]]; then
        echo "---- bridge output ----" >&2
        cat "$log" >&2
        echo "-----------------------" >&2
    fi
    exit 1
}

ok() { echo "publish smoke: ok: $*"; }

cleanup() {
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

# A loopback port nothing listens on right now (a bash TCP connect to it is refused).
free_port() {
    local port
    for _ in $(seq 1 200); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    return 1
}

command -v curl >/dev/null || fail "curl is required (.ci/run installs it)"

# 1. The Dockerfile must publish through the same script, or this smoke proves nothing about the image.
grep -Eq '^RUN bash scripts/publish\.sh /app/publish$' Dockerfile \
    || fail "the Dockerfile no longer runs 'bash scripts/publish.sh /app/publish'"
ok "Dockerfile publishes with scripts/publish.sh"

echo "publish smoke: publishing to $publish_dir"
bash scripts/publish.sh "$publish_dir" >"$work/publish.log" 2>&1 || { cat "$work/publish.log" >&2; fail "publish failed"; }
grep -Eq '[1-9][0-9]* Warning\(s\)|warning [A-Z]+[0-9]+' "$work/publish.log" && { cat "$work/publish.log" >&2; fail "publish printed warnings"; }
for f in VoiceBridge.dll VoiceBridge.runtimeconfig.json VoiceBridge.deps.json appsettings.json; do
    [[ -f "$publish_dir/$f" ]] || fail "$f missing from the publish output"
done
[[ ! -e "$publish_dir/VoiceBridge" ]] || fail "an apphost was published (UseAppHost=false expected)"
ok "published VoiceBridge.dll, runtimeconfig, deps and appsettings.json, no apphost"

port="$(free_port)" || fail "no free loopback port"
closed_port="$(free_port)" || fail "no closed loopback port"

# 2. Start it as the image would: working directory = publish dir, Production, port from ASPNETCORE_HTTP_PORTS.
# The inherited environment is cleaned of anything that would change the listen address or the configuration.
bridge_env=(
    env
    -u ASPNETCORE_URLS -u DOTNET_URLS -u ASPNETCORE_HTTPS_PORTS -u DOTNET_ENVIRONMENT
    -u VoiceBridge__Upstream__ApiKey
    ASPNETCORE_HTTP_PORTS="$port"
    ASPNETCORE_ENVIRONMENT=Production
    DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1
    DOTNET_SYSTEM_BUFFERS_SHAREDARRAYPOOL_MAXARRAYSPERPARTITION=256
    OPENAI_API_KEY="$api_key"
    VoiceBridge__Upstream__Url="ws://127.0.0.1:$closed_port/v1/realtime"
)
(cd "$publish_dir" && exec "${bridge_env[@]}" dotnet VoiceBridge.dll) >"$log" 2>&1 </dev/null &
pid=$!
echo "publish smoke: started pid $pid on port $port (upstream ws://127.0.0.1:$closed_port, closed)"

# 3. /healthz answers 200 within the bound.
started=$SECONDS
deadline=$((SECONDS + health_timeout_s))
body=""
until body="$(curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" 2>/dev/null)"; do
    kill -0 "$pid" 2>/dev/null || { wait "$pid" && rc=0 || rc=$?; pid=""; fail "the bridge exited with code $rc before /healthz answered"; }
    ((SECONDS < deadline)) || fail "/healthz did not answer 200 within ${health_timeout_s} s"
    sleep 0.25
done
[[ "$body" == *'"status":"ok"'* && "$body" == *'"provider":"OpenAI"'* ]] || fail "unexpected /healthz body: $body"
ok "/healthz 200 after ~$((SECONDS - started)) s: $body"

ready="$(curl -sS --max-time 2 -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")"
[[ "$ready" == 200 ]] || fail "/readyz answered $ready"
ok "/readyz 200"

# The demo page and the browser client module ship in the image (wwwroot is published beside the binary).
page="$(curl -sS --max-time 2 -o /dev/null -w '%{http_code} %{content_type}' "http://127.0.0.1:$port/voicebridge-client.js")"
[[ "$page" == "200 text/javascript"* ]] || fail "/voicebridge-client.js answered '$page'"
ok "/voicebridge-client.js served ($page)"

# 4. The HEALTHCHECK command, with an explicit URL and exactly as the image runs it (URL from ASPNETCORE_HTTP_PORTS).
(cd "$publish_dir" && dotnet VoiceBridge.dll --health-probe "http://127.0.0.1:$port/healthz") >"$work/probe.log" 2>&1 \
    || { cat "$work/probe.log" >&2; fail "--health-probe http://127.0.0.1:$port/healthz did not exit 0"; }
ok "--health-probe http://127.0.0.1:$port/healthz exited 0 ($(head -n1 "$work/probe.log"))"
(cd "$publish_dir" && env -u ASPNETCORE_URLS ASPNETCORE_HTTP_PORTS="$port" dotnet VoiceBridge.dll --health-probe) >"$work/probe.log" 2>&1 \
    || { cat "$work/probe.log" >&2; fail "the image's HEALTHCHECK command (--health-probe, no URL) did not exit 0"; }
ok "HEALTHCHECK command 'dotnet VoiceBridge.dll --health-probe' exited 0 ($(head -n1 "$work/probe.log"))"

# 5. SIGTERM: exit code 0 within Docker's grace period.
kill -TERM "$pid"
deadline=$((SECONDS + stop_timeout_s))
while kill -0 "$pid" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "still running ${stop_timeout_s} s after SIGTERM"
    sleep 0.1
done
wait "$pid" && rc=0 || rc=$?
pid=""
[[ "$rc" == 0 ]] || fail "exit code $rc after SIGTERM (expected 0)"
ok "SIGTERM -> exit 0 within ${stop_timeout_s} s"

# 6. What it logged: JSON lines only, the key never.
[[ -s "$log" ]] || fail "the bridge logged nothing"
if grep -qF "$api_key" "$log"; then fail "the API key appears in the bridge's output"; fi
while IFS= read -r line; do
    [[ "$line" == '{'*'}' ]] || fail "a log line is not a JSON object: $line"
done <"$log"
grep -q 'Application started' "$log" || fail "no 'Application started' log line"
ok "$(wc -l <"$log") log lines, all JSON objects; the API key never appears"

echo "publish smoke: PASSED"
