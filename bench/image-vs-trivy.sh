#!/usr/bin/env bash
# Side-by-side benchmark: warm-database `hull image` (inventory + matching against every
# corpus feed) vs Trivy's SBOM-only run on the corpus image app-debian. Trivy has no
# vulnerability DB offline, so it does less work than hull here; the goal is hull at
# <= 0.25x Trivy's wall time anyway. Not a test: run it by hand, read the table.
#
#   bench/image-vs-trivy.sh                # builds hull (release), installs Trivy via npm
#   RUNS=5 TRIVY=/path/to/trivy HULL=/path/to/hull bench/image-vs-trivy.sh
#
# Steps: import ALL corpus feeds into a fresh database (wall time, peak RSS, file size);
# convert the OCI archive to a docker-archive with skopeo (falls back to the OCI archive
# when skopeo is missing); one untimed run of each tool (database and page cache warm);
# then RUNS (default 3) rounds, alternating hull and Trivy so both see the same machine
# load; the medians are reported. Trivy gets the untarred OCI layout (it cannot read an
# OCI archive) and the same invocation as bench/sbom-vs-trivy.sh (cold layer cache).
# Needs: /usr/bin/time (Debian `time`), tar, python3, skopeo (optional), npm unless TRIVY
# is set. Helpers: bench/lib.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init

OCI="$CORPUS/images/app-debian.oci.tar"
FEEDS="$CORPUS/feeds"
RUNS="${RUNS:-3}"
[ -f "$OCI" ] || { echo "corpus image not found: $OCI" >&2; exit 1; }
[ -d "$FEEDS" ] || { echo "corpus feeds not found: $FEEDS" >&2; exit 1; }

build_hull
setup_trivy

# 1. Import every corpus feed into a fresh database.
DB="$WORK/hull.db"
run_once import "$HULL" db import --db "$DB" --format json "$FEEDS"
I_WALL=$WALL I_RSS=$RSS
DB_BYTES=$(stat -c %s "$DB")
read -r SOURCES RECORDS < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["sources"]
print(len(s), sum(x["records"] for x in s))' "$WORK/import.out")

# 2. The image, as a user would hand it to hull.
if command -v skopeo >/dev/null; then
  skopeo copy -q "oci-archive:$OCI" "docker-archive:$WORK/app-debian.docker.tar:app-debian:latest"
  TARGET="docker-archive:$WORK/app-debian.docker.tar"
else
  echo "== skopeo missing: hull reads the OCI archive instead of a docker-archive" >&2
  TARGET="oci-archive:$OCI"
fi
mkdir -p "$WORK/layout"
tar -xf "$OCI" -C "$WORK/layout"
trivy_sbom_script "$WORK/trivy.sh" "$WORK/layout" "$WORK/trivy.cdx.json"
HULL_CMD=("$HULL" image --quiet --db "$DB" --format json "$TARGET")

# 3. Warm up (untimed), then alternate.
run_once hull "${HULL_CMD[@]}"
run_once trivy sh "$WORK/trivy.sh"
echo "== measuring ($RUNS rounds, hull and trivy alternating, medians)" >&2
H_WALLS=() H_RSSS=() T_WALLS=() T_RSSS=()
for _ in $(seq "$RUNS"); do
  run_once hull "${HULL_CMD[@]}"
  H_WALLS+=("$WALL") H_RSSS+=("$RSS")
  run_once trivy sh "$WORK/trivy.sh"
  T_WALLS+=("$WALL") T_RSSS+=("$RSS")
done
H_WALL=$(median "${H_WALLS[@]}") H_RSS=$(median "${H_RSSS[@]}")
T_WALL=$(median "${T_WALLS[@]}") T_RSS=$(median "${T_RSSS[@]}")

# What hull found (the last timed run's JSON), so a reader sees it did real work.
read -r H_PKGS H_FINDINGS H_CVES < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d.get("findings", [])
print(d["summary"]["packages"], len(f), len({x["id"] for x in f}))' "$WORK/hull.out")
T_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$WORK/trivy.cdx.json")

printf '\n== database: all corpus feeds (%s sources, %s records)\n' "$SOURCES" "$RECORDS"
printf 'import wall %.2f s, peak RSS %s MiB, file %s MiB\n' "$I_WALL" "$(mib "$I_RSS")" "$(mib $((DB_BYTES / 1024)))"
printf '\n%-34s %10s %12s %s\n' "app-debian, median of $RUNS" "wall s" "peak RSS MiB" "result"
printf '%-34s %10.2f %12s %s\n' "hull image (warm DB, json)" "$H_WALL" "$(mib "$H_RSS")" \
  "$H_FINDINGS findings ($H_CVES distinct ids) on $H_PKGS packages"
printf '%-34s %10.2f %12s %s\n' "trivy image (SBOM only, no DB)" "$T_WALL" "$(mib "$T_RSS")" "$T_PKGS components"
echo "hull runs (s): ${H_WALLS[*]}   trivy runs (s): ${T_WALLS[*]}"
echo
echo "hull/trivy wall: $(ratio "$H_WALL" "$T_WALL")x   (goal <= 0.25x)"
echo "hull/trivy RSS:  $(ratio "$H_RSS" "$T_RSS")x"
echo "target: $TARGET; cores: $(nproc), $(date -u +%Y-%m-%dT%H:%MZ)"
