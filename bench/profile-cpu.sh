#!/usr/bin/env bash
# Where the bridge's CPU goes under the bench's active load: runs the end-to-end bench, attaches `perf` (Debian's
# linux-perf) to the bridge for the measured window only, and prints the share of the bridge's CPU samples by kind:
# the kernel's send path (with the part spent delivering to the peer on loopback), receive path, epoll and scheduling;
# the runtime's native code; and managed code by assembly. The bench's own figures follow.
#
#   bash bench/profile-cpu.sh DIR [SESSIONS] [SECONDS] [extra bench options]
#
# DIR is a bridge published with scripts/publish.sh. Managed frames are named through the runtime's perf map
# (DOTNET_PerfMapEnabled=1; W^X off so that perf sees the JIT's code where the map says it is).
set -euo pipefail

dir=${1:?usage: bench/profile-cpu.sh DIR [SESSIONS] [SECONDS] [bench options]}
sessions=${2:-200}
seconds=${3:-7}
shift $(( $# < 3 ? $# : 3 ))
command -v perf >/dev/null || { echo "profile-cpu.sh: perf not found (apt-get install linux-perf)" >&2; exit 2; }

root=$(cd "$(dirname "$0")/.." && pwd)
bench=$root/bench/VoiceBridge.Bench/bin/Release/net10.0/VoiceBridge.Bench.dll
[ -f "$bench" ] || dotnet build -c Release "$root/bench/VoiceBridge.Bench" >/dev/null
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
keep=${PERF_DATA:-}   # a path: keep the perf.data there (for perf report by hand)

dotnet "$bench" --scenario active --sessions "$sessions" --seconds $((seconds + 3)) --bridge "$dir" \
    --bridge-env DOTNET_PerfMapEnabled=1 --bridge-env DOTNET_EnableWriteXorExecute=0 "$@" > "$work/bench.txt" 2>&1 &
bench_pid=$!
until grep -q 'bridge: measuring now' "$work/bench.txt" 2>/dev/null; do
    kill -0 $bench_pid 2>/dev/null || { cat "$work/bench.txt"; exit 1; }
    sleep 0.2
done
pid=$(grep -oP 'bridge pid \K[0-9]+' "$work/bench.txt")
perf record -F 999 -g -p "$pid" -o "$work/perf.data" -- sleep "$seconds" 2> /dev/null > /dev/null
wait $bench_pid
[ -z "$keep" ] || cp "$work/perf.data" "$keep"

perf report -i "$work/perf.data" --no-children --sort dso,sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' > "$work/self.txt"
perf report -i "$work/perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' > "$work/children.txt"

# Inclusive shares of the kernel's entry points (a sample inside sendto also counts in net_rx_action when the
# loopback delivery to the peer ran on the sender's stack).
inclusive() { awk -v s="$1" '$NF == s { gsub(/%/, "", $1); print $1; exit }' "$work/children.txt"; }
echo "== where the bridge's CPU goes ($sessions sessions, ${seconds} s of samples in the measured window)"
printf '%-62s %6s%%\n' "kernel: send (sendto), all of it" "$(inclusive __x64_sys_sendto)"
printf '%-62s %6s%%\n' "  of which delivery to the peer on loopback (net_rx_action)" "$(inclusive net_rx_action)"
printf '%-62s %6s%%\n' "  of which waking the peer's reader (sock_def_readable)" "$(inclusive sock_def_readable)"
printf '%-62s %6s%%\n' "kernel: receive (recvfrom)" "$(inclusive __x64_sys_recvfrom)"
printf '%-62s %6s%%\n' "kernel: epoll_wait" "$(inclusive __x64_sys_epoll_wait)"
printf '%-62s %6s%%\n' "kernel: futex (thread-pool waits and wakes)" "$(inclusive __x64_sys_futex)"
awk '
    { pct = $1; gsub(/%/, "", pct); dso = $2; line = $0 }
    dso ~ /kernel/ { k += pct; next }
    dso ~ /libcoreclr|libclrjit/ { rt += pct; next }
    dso ~ /libcrypto|Cryptography/ { cr += pct; next }
    dso ~ /libc\.so|ld-linux|libSystem\.Native|vdso/ { nat += pct; next }
    {
        # Managed: [JIT] frames name their assembly in brackets; ReadyToRun frames are named by their DLL.
        # (the assembly of the method is the bracket followed by a space; that of a type in its signature is not).
        asm = dso
        if (dso ~ /^\[JIT\]/) {
            rest = line; sub(/.*\[\.\] /, "", rest)
            asm = match(rest, /\[[A-Za-z][A-Za-z0-9.]+\] /) ? substr(rest, RSTART + 1, RLENGTH - 3) : "runtime stubs"
        }
        sub(/\.dll$/, "", asm)
        if (asm ~ /Cryptography/) { cr += pct; next }
        m[asm] += pct; man += pct
    }
    END {
        printf "%-62s %6.2f%%\n", "kernel, all", k
        printf "%-62s %6.2f%%\n", "runtime native (libcoreclr, libclrjit)", rt
        printf "%-62s %6.2f%%\n", "libc, System.Native, ld.so (syscall wrappers, memcpy, TLS)", nat
        printf "%-62s %6.2f%%\n", "crypto (the random mask of every frame sent upstream)", cr
        printf "%-62s %6.2f%%\n", "managed, all", man
        n = 0; for (a in m) order[n++] = a
        for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (m[order[j]] > m[order[i]]) { t = order[i]; order[i] = order[j]; order[j] = t }
        for (i = 0; i < n && i < 12; i++) printf "  %-60s %6.2f%%\n", order[i], m[order[i]]
    }' "$work/self.txt"
echo
echo "== the hottest symbols (self)"
head -25 "$work/self.txt" | cut -c1-160
echo
grep -E 'RTT p50|RTT p99,|CPU s per|bridge CPU,|work items|warm-up|JIT-compiled' "$work/bench.txt"
