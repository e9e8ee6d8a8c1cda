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
# convert the OCI archive to a docker-archive with skopeo (what `docker save` gives:
# uncompressed layers); one untimed run of everything (database and page cache warm);
# then RUNS (default 3) rounds, each running, in turn, hull and Trivy on the
# docker-archive, then hull on the OCI archive and Trivy on the untarred OCI layout
# (gzip layers; Trivy cannot read an OCI archive), so all see the same machine load.
# Medians are reported. Both tools read the same bytes in each pair; Trivy's invocation
# is the one of bench/sbom-vs-trivy.sh (cold layer cache) with only `--input` differing.
# Needs: /usr/bin/time (Debian `time`), tar, python3, skopeo, npm unless TRIVY is set.
# Helpers: bench/lib.sh.
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
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# 1. Import every corpus feed into a fresh database.
DB="$WORK/hull.db"
run_once import "$HULL" db import --db "$DB" --format json "$FEEDS"
I_WALL=$WALL I_RSS=$RSS
DB_BYTES=$(stat -c %s "$DB")
read -r SOURCES RECORDS < <(python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["sources"]
print(len(s), sum(x["records"] for x in s))' "$WORK/import.out")

# 2. The image in both forms a user hands over.
command -v skopeo >/dev/null || { echo "skopeo missing: apt-get install skopeo" >&2; exit 1; }
DOCKER="$WORK/app-debian.docker.tar"
skopeo copy -q "oci-archive:$OCI" "docker-archive:$DOCKER:app-debian:latest"
mkdir -p "$WORK/layout"
tar -xf "$OCI" -C "$WORK/layout"
trivy_sbom_script "$WORK/trivy-docker.sh" "$DOCKER" "$WORK/trivy.cdx.json"
trivy_sbom_script "$WORK/trivy-oci.sh" "$WORK/layout" "$WORK/trivy.cdx.json"
HULL_IMAGE=("$HULL" image --quiet --db "$DB" --format json)

# 3. Warm up (untimed), then rounds. NAME -> command; samples kept per name.
NAMES=(hull-docker trivy-docker hull-oci trivy-oci)
run_named() {
  case "$1" in
    hull-docker) run_once "$1" "${HULL_IMAGE[@]}" "docker-archive:$DOCKER" ;;
    trivy-docker) run_once "$1" sh "$WORK/trivy-docker.sh" ;;
    hull-oci) run_once "$1" "${HULL_IMAGE[@]}" "oci-archive:$OCI" ;;
    trivy-oci) run_once "$1" sh "$WORK/trivy-oci.sh" ;;
  esac
}
for n in "${NAMES[@]}"; do run_named "$n"; done
echo "== measuring ($RUNS rounds of ${NAMES[*]}, medians)" >&2
declare -A WALLS RSSS
for _ in $(seq "$RUNS"); do
  for n in "${NAMES[@]}"; do
    run_named "$n"
    WALLS[$n]="${WALLS[$n]:-} $WALL" RSSS[$n]="${RSSS[$n]:-} $RSS"
  done
done
# shellcheck disable=SC2086 # word splitting of the sample lists is intended
for n in "${NAMES[@]}"; do
  declare "MED_WALL_${n/-/_}=$(median ${WALLS[$n]})" "MED_RSS_${n/-/_}=$(median ${RSSS[$n]})"
done

# What hull found (the last timed docker-archive run), so a reader sees it did real work.
read -r H_PKGS H_FINDINGS H_CVES < <(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
f = d.get("findings", [])
print(d["summary"]["packages"], len(f), len({x["id"] for x in f}))' "$WORK/hull-docker.out")
cmp -s <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"])' "$WORK/hull-docker.out") \
  <(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"])' "$WORK/hull-oci.out") ||
  echo "warning: hull found different things in the docker-archive and the OCI archive" >&2
T_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$WORK/trivy.cdx.json")

printf '\n== database: all corpus feeds (%s sources, %s records)\n' "$SOURCES" "$RECORDS"
printf 'import wall %.2f s, peak RSS %s MiB, file %s MiB\n' "$I_WALL" "$(mib "$I_RSS")" "$(mib $((DB_BYTES / 1024)))"
printf '\n%-40s %8s %12s %s\n' "app-debian, median of $RUNS" "wall s" "peak RSS MiB" "result"
row() { printf '%-40s %8.2f %12s %s\n' "$1" "$2" "$(mib "$3")" "$4"; }
row "hull image docker-archive (warm DB)" "$MED_WALL_hull_docker" "$MED_RSS_hull_docker" \
  "$H_FINDINGS findings ($H_CVES distinct ids) on $H_PKGS packages"
row "trivy image docker-archive (SBOM only)" "$MED_WALL_trivy_docker" "$MED_RSS_trivy_docker" "$T_PKGS components"
row "hull image oci-archive (warm DB)" "$MED_WALL_hull_oci" "$MED_RSS_hull_oci" "same findings"
row "trivy image OCI layout (SBOM only)" "$MED_WALL_trivy_oci" "$MED_RSS_trivy_oci" "-"
for n in "${NAMES[@]}"; do echo "  $n runs (s):${WALLS[$n]}"; done
echo
echo "docker-archive: hull/trivy wall $(ratio "$MED_WALL_hull_docker" "$MED_WALL_trivy_docker")x (goal <= 0.25x), RSS $(ratio "$MED_RSS_hull_docker" "$MED_RSS_trivy_docker")x"
echo "OCI (gzip):     hull/trivy wall $(ratio "$MED_WALL_hull_oci" "$MED_WALL_trivy_oci")x (goal <= 0.25x), RSS $(ratio "$MED_RSS_hull_oci" "$MED_RSS_trivy_oci")x"
echo "cores: $(nproc), load before: $LOAD, $(date -u +%Y-%m-%dT%H:%MZ)"
