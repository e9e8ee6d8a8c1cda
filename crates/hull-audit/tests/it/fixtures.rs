//! Every check has a passing and a failing fixture. For each kind there is one fully
//! hardened document that must pass every check of that kind; each check's failing
//! fixture is that document with one realistic mistake (most taken from the corpus
//! files named in the comment). The test fails when a check id has no fixture.

use std::collections::BTreeSet;

use hull_audit::{audit_text, catalog, Options};
use serde_json::{json, Value};

const DIGEST: &str = "sha256:4c1e9f6a3b2d8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef0";

fn opts() -> Options {
    Options {
        require_sandbox: true,
        ..Options::default()
    }
}

pub fn k8s_base() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "shop"},
        "spec": {"template": {"metadata": {"labels": {"app": "web"}}, "spec": {
            "runtimeClassName": "gvisor",
            "automountServiceAccountToken": false,
            "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "runAsGroup": 10001, "fsGroup": 10001,
                                 "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "app", "image": format!("registry.example/app:1.2.3@{DIGEST}"),
                "securityContext": {"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true,
                                    "capabilities": {"drop": ["ALL"]}},
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}, "requests": {"cpu": "100m", "memory": "128Mi"}},
                "volumeMounts": [{"name": "tmp", "mountPath": "/tmp"}]
            }],
            "volumes": [{"name": "tmp", "emptyDir": {}}]
        }}}
    })
}

fn pod(v: &mut Value) -> &mut Value {
    &mut v["spec"]["template"]["spec"]
}
fn c0(v: &mut Value) -> &mut Value {
    &mut v["spec"]["template"]["spec"]["containers"][0]
}
fn sc(v: &mut Value) -> &mut Value {
    &mut c0(v)["securityContext"]
}
fn add_volume(v: &mut Value, vol: Value) {
    pod(v)["volumes"].as_array_mut().unwrap().push(vol);
}

type Mutation = fn(&mut Value);

/// (check slug, mutation) for Kubernetes.
fn k8s_cases() -> Vec<(&'static str, Mutation)> {
    vec![
        ("privileged", |v| sc(v)["privileged"] = json!(true)), // examples-psp-pod-priv
        ("allow-privilege-escalation", |v| {
            sc(v)
                .as_object_mut()
                .unwrap()
                .remove("allowPrivilegeEscalation");
        }),
        ("drop-all-capabilities", |v| {
            sc(v)["capabilities"] = json!({"drop": ["NET_RAW"]})
        }),
        ("added-capabilities", |v| {
            sc(v)["capabilities"]["add"] = json!(["SYS_TIME"])
        }),
        ("dangerous-capabilities", |v| {
            sc(v)["capabilities"]["add"] = json!(["SYS_ADMIN"])
        }), // kubesec-cap-sys-admin
        ("host-network", |v| pod(v)["hostNetwork"] = json!(true)),
        ("host-pid", |v| pod(v)["hostPID"] = json!(true)), // regolib-host-pid-ipc-pod
        ("host-ipc", |v| pod(v)["hostIPC"] = json!(true)),
        ("host-path", |v| {
            add_volume(v, json!({"name": "data", "hostPath": {"path": "/data"}}))
        }),
        ("sensitive-host-path", |v| {
            add_volume(v, json!({"name": "etc", "hostPath": {"path": "/etc"}}))
        }),
        ("docker-socket", |v| {
            add_volume(
                v,
                json!({"name": "sock", "hostPath": {"path": "/var/run/docker.sock"}}),
            )
        }), // kubesec-ds-mount-docker-socket
        ("host-ports", |v| {
            c0(v)["ports"] = json!([{"containerPort": 80, "hostPort": 80}])
        }),
        ("run-as-non-root", |v| {
            pod(v)["securityContext"]["runAsNonRoot"] = json!(false);
            pod(v)["securityContext"]["runAsUser"] = json!(0);
        }),
        ("high-uid", |v| {
            pod(v)["securityContext"]["runAsUser"] = json!(1000)
        }),
        ("high-gid", |v| {
            pod(v)["securityContext"]["runAsGroup"] = json!(1000)
        }),
        ("root-group", |v| {
            pod(v)["securityContext"]["supplementalGroups"] = json!([0])
        }),
        ("read-only-root-filesystem", |v| {
            sc(v)["readOnlyRootFilesystem"] = json!(false)
        }),
        ("seccomp-profile", |v| {
            pod(v)["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"})
        }), // kubesec-seccomp-unconfined
        ("apparmor-unconfined", |v| {
            sc(v)["appArmorProfile"] = json!({"type": "Unconfined"})
        }),
        ("selinux", |v| {
            sc(v)["seLinuxOptions"] = json!({"type": "spc_t"})
        }),
        ("proc-mount", |v| sc(v)["procMount"] = json!("Unmasked")),
        ("unsafe-sysctls", |v| {
            pod(v)["securityContext"]["sysctls"] =
                json!([{"name": "kernel.msgmax", "value": "65536"}])
        }),
        ("host-process", |v| {
            sc(v)["windowsOptions"] = json!({"hostProcess": true})
        }),
        ("volume-types", |v| {
            add_volume(
                v,
                json!({"name": "n", "nfs": {"server": "nfs.example", "path": "/"}}),
            )
        }),
        ("resource-limits", |v| {
            c0(v)["resources"].as_object_mut().unwrap().remove("limits");
        }),
        ("resource-requests", |v| {
            c0(v)["resources"]
                .as_object_mut()
                .unwrap()
                .remove("requests");
        }),
        ("probe-host", |v| {
            c0(v)["readinessProbe"] = json!({"httpGet": {"host": "10.0.0.1", "port": 8080}})
        }),
        ("service-account-token", |v| {
            pod(v)
                .as_object_mut()
                .unwrap()
                .remove("automountServiceAccountToken");
        }),
        ("image-latest-tag", |v| c0(v)["image"] = json!("nginx")), // examples-guestbook
        ("image-digest", |v| c0(v)["image"] = json!("nginx:1.27")),
        ("sandbox-runtime", |v| {
            pod(v).as_object_mut().unwrap().remove("runtimeClassName");
        }),
        ("default-namespace", |v| {
            v["metadata"]["namespace"] = json!("default")
        }),
        ("system-namespace", |v| {
            v["metadata"]["namespace"] = json!("kube-system")
        }),
    ]
}

/// Object checks: an extra document appended to the hardened one (pass, fail).
fn k8s_object_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        (
            "rbac-cluster-admin",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: ro}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}\nsubjects: [{kind: ServiceAccount, name: web, namespace: shop}]\n",
            // goat-insecure-rbac
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\nmetadata: {name: superadmin}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\nsubjects: [{kind: ServiceAccount, name: superadmin, namespace: big-monolith}]\n",
        ),
        (
            "malformed-workload",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec: {automountServiceAccountToken: false, runtimeClassName: gvisor, containers: []}\n",
            "apiVersion: v1\nkind: Pod\nmetadata: {name: broken}\nspec: [{name: app, image: nginx}]\n",
        ),
        (
            "configmap-secrets",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {LOG_LEVEL: info}\n",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\ndata: {DB_PASSWORD: hunter2}\n",
        ),
    ]
}

pub fn compose_base() -> Value {
    json!({"services": {"web": {
        "image": format!("registry.example/app:1.2.3@{DIGEST}"),
        "user": "10001:10001", "read_only": true, "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"], "runtime": "runsc", "pids_limit": 100,
        "deploy": {"resources": {"limits": {"cpus": "0.5", "memory": "256M"}}},
        "ports": ["8080:8080"], "volumes": ["data:/data"]
    }}, "volumes": {"data": {}}})
}

fn svc(v: &mut Value) -> &mut Value {
    &mut v["services"]["web"]
}
fn rm(v: &mut Value, k: &str) {
    v.as_object_mut().unwrap().remove(k);
}

fn docker_cases() -> Vec<(&'static str, Mutation)> {
    vec![
        ("privileged", |v| svc(v)["privileged"] = json!(true)), // vulhub-ingress-nginx
        ("no-new-privileges", |v| rm(svc(v), "security_opt")),
        ("drop-all-capabilities", |v| rm(svc(v), "cap_drop")),
        ("added-capabilities", |v| {
            svc(v)["cap_add"] = json!(["SYS_TIME"])
        }),
        ("dangerous-capabilities", |v| {
            svc(v)["cap_add"] = json!(["NET_ADMIN"])
        }), // awesome-wireguard
        ("host-network", |v| svc(v)["network_mode"] = json!("host")),
        ("host-pid", |v| svc(v)["pid"] = json!("host")), // docker-bench-security-compose
        ("host-ipc", |v| svc(v)["ipc"] = json!("host")),
        ("host-uts", |v| svc(v)["uts"] = json!("host")),
        ("host-userns", |v| svc(v)["userns_mode"] = json!("host")),
        ("host-path", |v| svc(v)["volumes"] = json!(["./data:/data"])),
        ("sensitive-host-path", |v| {
            svc(v)["volumes"] = json!(["/etc:/etc:ro"])
        }), // docker-bench-security-compose
        ("docker-socket", |v| {
            svc(v)["volumes"] = json!(["/var/run/docker.sock:/var/run/docker.sock"])
        }), // awesome-portainer
        ("privileged-ports", |v| svc(v)["ports"] = json!(["80:80"])),
        ("run-as-non-root", |v| rm(svc(v), "user")),
        ("read-only-root-filesystem", |v| rm(svc(v), "read_only")),
        ("seccomp-profile", |v| {
            svc(v)["security_opt"] = json!(["no-new-privileges:true", "seccomp:unconfined"])
        }),
        ("apparmor-unconfined", |v| {
            svc(v)["security_opt"] = json!(["no-new-privileges:true", "apparmor=unconfined"])
        }),
        ("selinux", |v| {
            svc(v)["security_opt"] = json!(["no-new-privileges:true", "label:disable"])
        }),
        ("proc-mount", |v| {
            svc(v)["security_opt"] = json!(["no-new-privileges:true", "systempaths=unconfined"])
        }),
        ("unsafe-sysctls", |v| {
            svc(v)["sysctls"] = json!({"kernel.msgmax": 65536})
        }),
        ("resource-limits", |v| rm(svc(v), "deploy")),
        ("pids-limit", |v| rm(svc(v), "pids_limit")),
        ("devices", |v| {
            svc(v)["devices"] = json!(["/dev/mem:/dev/mem"])
        }),
        ("image-latest-tag", |v| {
            svc(v)["image"] = json!("redis:latest")
        }), // trivy-checks-example-compose
        ("image-digest", |v| svc(v)["image"] = json!("redis:7.2")),
        ("sandbox-runtime", |v| rm(svc(v), "runtime")),
    ]
}

/// A `docker inspect` document equivalent to the compose base.
fn inspect_from_compose(v: &Value) -> Value {
    let s = &v["services"]["web"];
    let opts: Vec<Value> = s["security_opt"].as_array().cloned().unwrap_or_default();
    let mut binds = vec![];
    for vol in s["volumes"].as_array().cloned().unwrap_or_default() {
        let t = vol.as_str().unwrap_or("");
        if t.starts_with('/') || t.starts_with('.') {
            binds.push(json!(t.replacen("./", "/srv/", 1)));
        }
    }
    let mut pb = serde_json::Map::new();
    for p in s["ports"].as_array().cloned().unwrap_or_default() {
        let t = p.as_str().unwrap_or("");
        let (host, cont) = t.split_once(':').unwrap_or((t, t));
        pb.insert(
            format!("{cont}/tcp"),
            json!([{"HostIp": "", "HostPort": host}]),
        );
    }
    let mode = |k: &str| s.get(k).cloned().unwrap_or(json!(""));
    let limits = &s["deploy"]["resources"]["limits"];
    json!([{
        "Id": "0123", "Name": "/web",
        "AppArmorProfile": if opts.iter().any(|o| o == "apparmor=unconfined") { "unconfined" } else { "docker-default" },
        "State": {"Status": "running"},
        "Config": {"User": s.get("user").cloned().unwrap_or(json!("")), "Image": s["image"].clone()},
        "HostConfig": {
            "Privileged": s.get("privileged").cloned().unwrap_or(json!(false)),
            "CapAdd": s.get("cap_add").cloned().unwrap_or(Value::Null),
            "CapDrop": s.get("cap_drop").cloned().unwrap_or(Value::Null),
            "SecurityOpt": opts.iter().filter(|o| *o != "apparmor=unconfined").map(|o| json!(o.as_str().unwrap_or("").replace(':', "="))).collect::<Vec<_>>(),
            "ReadonlyRootfs": s.get("read_only").cloned().unwrap_or(json!(false)),
            "NetworkMode": s.get("network_mode").cloned().unwrap_or(json!("bridge")),
            "PidMode": mode("pid"), "IpcMode": mode("ipc"), "UTSMode": mode("uts"), "UsernsMode": mode("userns_mode"),
            "Binds": binds, "PortBindings": pb,
            "Memory": if limits.get("memory").is_some() { 268435456 } else { 0 },
            "NanoCpus": if limits.get("cpus").is_some() { 500000000 } else { 0 },
            "PidsLimit": s.get("pids_limit").cloned().unwrap_or(Value::Null),
            "Runtime": s.get("runtime").cloned().unwrap_or(json!("runc")),
            "Sysctls": s.get("sysctls").cloned().unwrap_or(json!({})),
            "Devices": s.get("devices").and_then(Value::as_array).map(|d| d.iter().map(|x| json!({"PathOnHost": x.as_str().unwrap_or("").split(':').next(), "PathInContainer": "/dev/mem", "CgroupPermissions": "rwm"})).collect::<Vec<_>>()).unwrap_or_default()
        }
    }])
}

pub fn oci_base() -> Value {
    json!({
        "ociVersion": "1.0.2",
        "process": {"user": {"uid": 10001, "gid": 10001}, "args": ["sh"], "cwd": "/", "noNewPrivileges": true,
                    "capabilities": {"bounding": [], "effective": [], "permitted": [], "inheritable": [], "ambient": []}},
        "root": {"path": "rootfs", "readonly": true},
        "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"}],
        "annotations": {"io.kubernetes.cri.runtime-handler": "runsc"},
        "linux": {
            "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}],
            "seccomp": hull_audit::fix::default_seccomp_profile(),
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware"],
            "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

fn ns_without(v: &mut Value, t: &str) {
    v["linux"]["namespaces"]
        .as_array_mut()
        .unwrap()
        .retain(|n| n["type"] != t);
}
fn bind(v: &mut Value, src: &str) {
    v["mounts"].as_array_mut().unwrap().push(
        json!({"destination": "/x", "type": "bind", "source": src, "options": ["rbind", "rw"]}),
    );
}

fn oci_cases() -> Vec<(&'static str, Mutation)> {
    vec![
        ("privileged", |v| {
            v["process"]["capabilities"]["bounding"] =
                json!(["CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO"]);
            rm(&mut v["linux"], "seccomp");
            v["linux"]["maskedPaths"] = json!([]);
        }),
        ("no-new-privileges", |v| {
            v["process"]["noNewPrivileges"] = json!(false)
        }),
        ("drop-all-capabilities", |v| {
            v["process"]["capabilities"]["bounding"] = json!(["CAP_CHOWN"])
        }), // runc spec default
        ("added-capabilities", |v| {
            v["process"]["capabilities"]["bounding"] = json!(["CAP_SYS_TIME"])
        }),
        ("dangerous-capabilities", |v| {
            v["process"]["capabilities"]["effective"] = json!(["CAP_SYS_ADMIN"])
        }),
        ("host-network", |v| ns_without(v, "network")), // runtime-spec-minimal-for-start
        ("host-pid", |v| ns_without(v, "pid")),
        ("host-ipc", |v| ns_without(v, "ipc")),
        ("host-path", |v| bind(v, "/srv/data")),
        ("sensitive-host-path", |v| bind(v, "/etc")),
        ("docker-socket", |v| {
            bind(v, "/run/containerd/containerd.sock")
        }),
        ("run-as-non-root", |v| {
            v["process"]["user"]["uid"] = json!(0)
        }),
        ("root-group", |v| {
            v["process"]["user"]["additionalGids"] = json!([0])
        }),
        ("read-only-root-filesystem", |v| {
            v["root"]["readonly"] = json!(false)
        }),
        ("seccomp-profile", |v| rm(&mut v["linux"], "seccomp")),
        ("masked-paths", |v| v["linux"]["maskedPaths"] = json!([])),
        ("sandbox-runtime", |v| rm(v, "annotations")),
    ]
}

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1\nFROM debian:12.5@sha256:4c1e9f6a3b2d8e7f0a1b2c3d4e5f60718293a4b5c6d7e8f9012345678abcdef0 AS build\nRUN apt-get update \\\n && apt-get install -y --no-install-recommends curl \\\n && rm -rf /var/lib/apt/lists/*\nWORKDIR /src\nCOPY app.tar.gz /src/\nADD vendor.tar.gz /src/vendor/\nFROM gcr.io/distroless/static:nonroot\nCOPY --from=build /usr/bin/curl /curl\nENV APP_MODE=production PASSWORD_FILE=/run/secrets/pw\nEXPOSE 8080\nUSER 10001\nHEALTHCHECK CMD [\"/curl\", \"-f\", \"http://localhost:8080/\"]\n";

/// (slug, text to find, replacement) for the Dockerfile.
fn dockerfile_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("root-user", "USER 10001\n", ""), // official-redis-7.2-alpine
        (
            "latest-tag",
            "FROM gcr.io/distroless/static:nonroot",
            "FROM golang:latest",
        ), // goat-health-check
        (
            "add-instead-of-copy",
            "COPY app.tar.gz /src/",
            "ADD app.py /src/",
        ), // goat-hidden-in-layers
        (
            "add-remote-without-checksum",
            "ADD vendor.tar.gz /src/vendor/",
            "ADD https://example.com/vendor.tar.gz /src/vendor/",
        ),
        ("run-cd", "WORKDIR /src\n", "RUN cd /src && make\n"), // official-nginx-mainline-debian
        (
            "apt-get-missing-yes",
            "install -y --no-install-recommends",
            "install --no-install-recommends",
        ), // trivy-checks-example
        (
            "apt-get-no-install-recommends",
            "install -y --no-install-recommends",
            "install -y",
        ), // goat-system-monitor
        (
            "apt-lists-not-cleaned",
            " \\\n && rm -rf /var/lib/apt/lists/*",
            "",
        ),
        (
            "healthcheck-missing",
            "HEALTHCHECK CMD [\"/curl\", \"-f\", \"http://localhost:8080/\"]\n",
            "",
        ),
        (
            "sudo",
            "WORKDIR /src\n",
            "WORKDIR /src\nRUN sudo make install\n",
        ),
        (
            "curl-pipe-shell",
            "WORKDIR /src\n",
            "WORKDIR /src\nRUN curl -fsSL https://get.example.sh | sh\n",
        ),
        (
            "secrets-in-env",
            "ENV APP_MODE=production",
            "ENV DB_PASSWORD=hunter2 APP_MODE=production",
        ),
        ("expose-ssh", "EXPOSE 8080", "EXPOSE 22"),
        ("expose-admin-port", "EXPOSE 8080", "EXPOSE 8080 2375/tcp"),
    ]
}

fn daemon_base() -> Value {
    json!({"icc": false, "userns-remap": "default", "live-restore": true, "no-new-privileges": true,
           "log-driver": "journald", "userland-proxy": false, "runtimes": {"runsc": {"path": "/usr/bin/runsc"}}})
}

fn daemon_cases() -> Vec<(&'static str, Mutation)> {
    vec![
        ("icc", |v| v["icc"] = json!(true)),
        ("userns-remap", |v| rm(v, "userns-remap")),
        ("live-restore", |v| rm(v, "live-restore")),
        ("no-new-privileges", |v| rm(v, "no-new-privileges")),
        ("log-driver", |v| v["log-driver"] = json!("json-file")),
        ("insecure-registries", |v| {
            v["insecure-registries"] = json!(["test.example.com"])
        }), // containerscrew-insecure-registries
        ("tcp-without-tls", |v| {
            v["hosts"] = json!(["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"])
        }),
        ("userland-proxy", |v| rm(v, "userland-proxy")),
        ("experimental", |v| v["experimental"] = json!(true)), // dogvscat-daemon
        ("sandbox-runtime", |v| rm(v, "runtimes")),
    ]
}

const CONTAINERD: &str = "version = 2\n[plugins.\"io.containerd.grpc.v1.cri\"]\n  disable_apparmor = false\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n  runtime_type = \"io.containerd.runc.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n  SystemdCgroup = true\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]\n  runtime_type = \"io.containerd.runsc.v1\"\n[plugins.\"io.containerd.grpc.v1.cri\".registry.mirrors.\"docker.io\"]\n  endpoint = [\"https://mirror.example\"]\n";

fn containerd_cases() -> Vec<(&'static str, &'static str, &'static str)> {
    vec![
        ("systemd-cgroup", "SystemdCgroup = true", "SystemdCgroup = false"), // containerd-testdata-default-1.6
        ("apparmor-disabled", "disable_apparmor = false", "disable_apparmor = true"),
        ("insecure-registry", "https://mirror.example", "http://mirror.example"),
        ("sandbox-runtime", "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runsc]\n  runtime_type = \"io.containerd.runsc.v1\"\n", ""),
    ]
}

fn yaml(v: &Value) -> String {
    serde_yaml::to_string(v).unwrap()
}

fn ids(name: &str, text: &str) -> BTreeSet<String> {
    let r = audit_text(name, text, &opts());
    assert!(r.error.is_none(), "{name}: {:?}", r.error);
    r.findings.into_iter().map(|f| f.id).collect()
}

fn assert_pair(
    covered: &mut BTreeSet<String>,
    id: String,
    pass: &BTreeSet<String>,
    fail: &BTreeSet<String>,
) {
    assert!(!pass.contains(&id), "{id}: passing fixture reports it");
    assert!(
        fail.contains(&id),
        "{id}: failing fixture does not report it (got {fail:?})"
    );
    assert!(covered.insert(id.clone()), "{id}: two fixtures");
}

#[test]
fn hardened_bases_pass_everything() {
    let k = ids("base.yaml", &yaml(&k8s_base()));
    assert!(k.is_empty(), "k8s base: {k:?}");
    let c = ids("compose.yaml", &yaml(&compose_base()));
    assert!(c.is_empty(), "compose base: {c:?}");
    let d = ids(
        "inspect.json",
        &inspect_from_compose(&compose_base()).to_string(),
    );
    assert!(d.is_empty(), "inspect base: {d:?}");
    let o = ids("config.json", &oci_base().to_string());
    assert!(o.is_empty(), "oci base: {o:?}");
    let f = ids("Dockerfile", DOCKERFILE);
    assert!(f.is_empty(), "dockerfile base: {f:?}");
    let j = ids("daemon.json", &daemon_base().to_string());
    assert!(j.is_empty(), "daemon base: {j:?}");
    let t = ids("config.toml", CONTAINERD);
    assert!(t.is_empty(), "containerd base: {t:?}");
}

#[test]
fn every_check_has_a_passing_and_a_failing_fixture() {
    let mut covered = BTreeSet::new();
    let pass = BTreeSet::new();
    let base = k8s_base();
    for (slug, m) in k8s_cases() {
        let mut v = base.clone();
        m(&mut v);
        assert_pair(
            &mut covered,
            format!("k8s:{slug}"),
            &pass,
            &ids("f.yaml", &yaml(&v)),
        );
    }
    for (slug, ok, bad) in k8s_object_cases() {
        let p = ids("p.yaml", &format!("{}---\n{ok}", yaml(&base)));
        let f = ids("f.yaml", &format!("{}---\n{bad}", yaml(&base)));
        assert_pair(&mut covered, format!("k8s:{slug}"), &p, &f);
    }
    let cbase = compose_base();
    for (slug, m) in docker_cases() {
        let mut v = cbase.clone();
        m(&mut v);
        if hull_audit::catalog()
            .iter()
            .any(|c| c.id == format!("compose:{slug}"))
        {
            assert_pair(
                &mut covered,
                format!("compose:{slug}"),
                &pass,
                &ids("compose.yaml", &yaml(&v)),
            );
        }
        let id = format!("docker:{slug}");
        if hull_audit::catalog().iter().any(|c| c.id == id) {
            assert_pair(
                &mut covered,
                id,
                &pass,
                &ids("inspect.json", &inspect_from_compose(&v).to_string()),
            );
        }
    }
    for (slug, m) in oci_cases() {
        let mut v = oci_base();
        m(&mut v);
        assert_pair(
            &mut covered,
            format!("oci:{slug}"),
            &pass,
            &ids("config.json", &v.to_string()),
        );
    }
    for (slug, from, to) in dockerfile_cases() {
        assert!(DOCKERFILE.contains(from), "{slug}: fixture text not found");
        let text = DOCKERFILE.replacen(from, to, 1);
        assert_pair(
            &mut covered,
            format!("dockerfile:{slug}"),
            &pass,
            &ids("Dockerfile", &text),
        );
    }
    for (slug, m) in daemon_cases() {
        let mut v = daemon_base();
        m(&mut v);
        assert_pair(
            &mut covered,
            format!("daemon:{slug}"),
            &pass,
            &ids("daemon.json", &v.to_string()),
        );
    }
    for (slug, from, to) in containerd_cases() {
        assert!(CONTAINERD.contains(from), "{slug}: fixture text not found");
        assert_pair(
            &mut covered,
            format!("containerd:{slug}"),
            &pass,
            &ids("config.toml", &CONTAINERD.replacen(from, to, 1)),
        );
    }
    for id in crate::host::covered_ids() {
        covered.insert(id);
    }
    let all: BTreeSet<String> = catalog().into_iter().map(|c| c.id).collect();
    let missing: Vec<&String> = all.difference(&covered).collect();
    assert!(missing.is_empty(), "checks without fixtures: {missing:?}");
}
