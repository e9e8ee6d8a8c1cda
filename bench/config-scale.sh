#!/usr/bin/env bash
# Peak memory of `hull config` as the number of manifests grows: the per-file results
# are streamed (JSON and SARIF included), so RSS must stay flat (goal < 64 MB at 100k).
#
#   bench/config-scale.sh [MAX_FILES]        (default 100000; also runs 1k and 10k)
#
# The manifests are generated: Deployments, Pods, CronJobs and ConfigMaps with a mix of
# hardened and careless settings, 100 files per directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
bench_init
build_hull
max="${1:-100000}"

gen() { # gen DIR COUNT
  python3 - "$1" "$2" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
kinds = [
"""apiVersion: apps/v1
kind: Deployment
metadata: {{name: web-{i}, namespace: team-{d}}}
spec:
  replicas: 2
  selector: {{matchLabels: {{app: web-{i}}}}}
  template:
    metadata: {{labels: {{app: web-{i}}}}}
    spec:
      securityContext: {{runAsNonRoot: true, seccompProfile: {{type: RuntimeDefault}}}}
      containers:
      - name: app
        image: registry.example/web:1.{i}
        ports: [{{containerPort: 8080}}]
        securityContext: {{allowPrivilegeEscalation: false, capabilities: {{drop: [ALL]}}}}
        resources: {{limits: {{cpu: 500m, memory: 256Mi}}}}
""",
"""apiVersion: v1
kind: Pod
metadata: {{name: debug-{i}}}
spec:
  hostNetwork: true
  containers:
  - name: shell
    image: busybox
    securityContext: {{privileged: true, capabilities: {{add: [SYS_ADMIN]}}}}
    volumeMounts: [{{name: root, mountPath: /host}}]
  volumes: [{{name: root, hostPath: {{path: /}}}}]
""",
"""apiVersion: batch/v1
kind: CronJob
metadata: {{name: report-{i}, namespace: jobs}}
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: report
            image: registry.example/report:2.{i}
            livenessProbe: {{httpGet: {{host: 10.0.0.{d}, port: 80}}}}
""",
"""apiVersion: v1
kind: ConfigMap
metadata: {{name: cfg-{i}}}
data: {{LOG_LEVEL: info, DB_PASSWORD: hunter{i}}}
""",
]
for i in range(n):
    d = i // 100
    p = os.path.join(root, f"d{d:05d}")
    if i % 100 == 0:
        os.makedirs(p, exist_ok=True)
    with open(os.path.join(p, f"m{i:06d}.yaml"), "w") as f:
        f.write(kinds[i % len(kinds)].format(i=i, d=d % 250))
PY
}

printf 'files\tformat\tseconds\tmax_rss_mb\tfindings\n'
for n in 1000 10000 "$max"; do
  dir="$WORK/m$n"
  gen "$dir" "$n"
  for fmt in json sarif; do
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$HULL" config -f "$fmt" -o "$WORK/out.$fmt" "$dir" || true
    read -r secs kb < "$WORK/time"
    findings=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["summary"]["findings"] if "summary" in d else len(d["runs"][0]["results"]))' "$WORK/out.$fmt")
    printf '%s\t%s\t%s\t%.1f\t%s\n' "$n" "$fmt" "$secs" "$(echo "$kb / 1024" | bc -l)" "$findings"
  done
  rm -rf "$dir"
done
