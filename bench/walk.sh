#!/usr/bin/env bash
# Wall time and peak RSS of walking an image with hull-image, next to a plain
# `gzip -dc` of the same layer blobs (the floor for any scanner that reads every layer).
#   bench/walk.sh [image.oci.tar]      (default: the corpus app-debian image)
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${HULL_CORPUS:-$(cd .. && pwd)/shared/corpus}"
img="${1:-$corpus/images/app-debian.oci.tar}"
cargo build -q --release -p hull-image --example walk
bin=target/release/examples/walk
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
tar -xf "$img" -C "$tmp"
# The layer blobs named by the (only) manifest.
layers=$(python3 - "$tmp" <<'PY'
import json, sys, os
root = sys.argv[1]
idx = json.load(open(os.path.join(root, "index.json")))
m = json.load(open(os.path.join(root, "blobs/sha256", idx["manifests"][0]["digest"].split(":")[1])))
print(" ".join(os.path.join(root, "blobs/sha256", l["digest"].split(":")[1]) for l in m["layers"]))
PY
)
measure() { /usr/bin/time -f "%e s wall, %M KiB peak RSS" "$@" 2>&1 >/dev/null | tail -1; }
cat "$img" $layers >/dev/null  # warm the page cache
echo "gzip -dc (all layers, sequential):   $(measure sh -c "gzip -dc $layers")"
echo "hull walk (entries only):             $(measure $bin "oci-archive:$img")"
echo "hull walk (read every file):          $(measure $bin "oci-archive:$img" --read)"
echo "hull walk oci-dir (read every file):  $(measure $bin "oci-dir:$tmp" --read)"
