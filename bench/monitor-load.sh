#!/usr/bin/env bash
# Monitor load benchmark (root): open flood vs exec drops, and monitor CPU at ~4k exec/s.
#   bench/monitor-load.sh [SOURCE]      SOURCE = ebpf (default) or fallback
# Prints: opens/s generated, exec events seen vs executed, drops per buffer, monitor CPU.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=${1:-ebpf}
PORT=${PORT:-19478}
SECS=${SECS:-5}
cargo build --release -q -p hull-cli
tmp=$(mktemp -d)
trap 'kill $MON 2>/dev/null || true; rm -rf "$tmp"' EXIT
cc -O2 -o "$tmp/opener" bench/opener.c
cc -O2 -o "$tmp/execer" bench/execer.c

./target/release/hull monitor --source "$SRC" --alerts /dev/null \
  --metrics-addr 127.0.0.1:$PORT 2>"$tmp/mon.err" &
MON=$!
for _ in $(seq 50); do grep -q "source=" "$tmp/mon.err" 2>/dev/null && break; sleep 0.2; done
head -1 "$tmp/mon.err"
metric() { curl -s 127.0.0.1:$PORT/metrics | awk -v m="$1" '$1==m {print $2}' | head -1; }
cpu() { awk '{print $14+$15}' /proc/$MON/stat; }
hz=$(getconf CLK_TCK)

echo "== phase 1: exec only (~4000/s for ${SECS}s)"
e0=$(metric 'hull_events_total{type="exec"}'); e0=${e0:-0}
c0=$(cpu); t0=$(date +%s.%N)
"$tmp/execer" 4000 "$SECS"
sleep 1
c1=$(cpu); t1=$(date +%s.%N)
e1=$(metric 'hull_events_total{type="exec"}')
echo "exec events seen: $((${e1%.*} - ${e0%.*}))"
awk -v c=$((c1 - c0)) -v hz="$hz" -v t0="$t0" -v t1="$t1" \
  'BEGIN { printf "monitor CPU: %.1f%% of one core\n", 100 * c / hz / (t1 - t0) }'

echo "== phase 2: open flood (in a new pid namespace = container-like) + exec at 1000/s"
e0=$(metric 'hull_events_total{type="exec"}')
unshare --pid --fork "$tmp/opener" /etc/hostname "$SECS" 2 &
FLOOD=$!
"$tmp/execer" 1000 "$SECS" | tee "$tmp/exec.out"
wait $FLOOD
sleep 1
e1=$(metric 'hull_events_total{type="exec"}')
echo "exec events seen: $((${e1%.*} - ${e0%.*})) (executed: $(awk '{print $1}' "$tmp/exec.out"))"
curl -s 127.0.0.1:$PORT/metrics | grep '^hull_source_drops_total'
