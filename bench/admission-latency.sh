#!/usr/bin/env bash
# Review latency of `hull admission` for a typical Deployment (release build): the pure
# review function in-process and over HTTPS on a keep-alive connection, p50/p99 and
# reviews/s, asserting the goal p99 < 2 ms.
#
#   bench/admission-latency.sh
set -euo pipefail
cd "$(dirname "$0")/.."
HULL_BENCH_STRICT=1 cargo test --release --locked -q -p hull-admission --test it bench -- --nocapture 2>&1 |
  grep -E '^admission |panicked|FAILED'
