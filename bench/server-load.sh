#!/usr/bin/env bash
# Load benchmark of `hull server` on loopback: push throughput, read latency under 50
# clients with 10,000 stored versions, full rescan, memory. Bounded (HULL_BENCH_VERSIONS,
# HULL_BENCH_READ_SECS). Usage: bench/server-load.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec cargo bench -p hull-server --bench load
