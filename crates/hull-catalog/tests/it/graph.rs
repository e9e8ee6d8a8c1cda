//! The dependency graph of app-debian, end to end: every edge that the npm lockfile, the
//! Cargo.lock and the Go binary record is a CycloneDX `dependencies` edge of `hull sbom`'s
//! document, and the document has no other edge among those packages.
//!
//! The expected edges are computed here from the raw files (and the truth's record of
//! the Go binary), not from hull's analyzers: the npm lockfile by Node's lookup rule,
//! Cargo.lock by its `name [version [(source)]]` references.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use serde_json::Value;

/// (name, version, path) of a package as the CycloneDX document names it.
type Node = (String, String, String);
type Edges = BTreeSet<(Node, Node)>;

fn node(name: &str, version: &str, path: &str) -> Node {
    (name.to_string(), version.to_string(), path.to_string())
}

/// Node's module lookup from install location `from`.
fn npm_resolve<'a>(entries: &'a BTreeMap<String, Value>, from: &str, dep: &str) -> Option<&'a str> {
    let mut base = from.to_string();
    loop {
        let candidate = if base.is_empty() {
            format!("node_modules/{dep}")
        } else {
            format!("{base}/node_modules/{dep}")
        };
        if let Some((k, _)) = entries.get_key_value(&candidate) {
            return Some(k.as_str());
        }
        if base.is_empty() {
            return None;
        }
        base = match base.rfind("/node_modules/") {
            Some(i) => base[..i].to_string(),
            None => String::new(),
        };
    }
}

fn npm_edges(lock: &Value, dir: &str) -> Edges {
    let entries: BTreeMap<String, Value> = lock["packages"]
        .as_object()
        .unwrap()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Installed packages are what the document lists; the root is the lockfile's root.
    let node_of = |key: &str| -> Node {
        let e = &entries[key];
        if key.is_empty() {
            node(
                lock["name"].as_str().unwrap(),
                lock["version"].as_str().unwrap(),
                &format!("{dir}/package-lock.json"),
            )
        } else {
            let name = key.rsplit("node_modules/").next().unwrap();
            node(
                e["name"].as_str().unwrap_or(name),
                e["version"].as_str().unwrap(),
                &format!("{dir}/{key}/package.json"),
            )
        }
    };
    let mut out = Edges::new();
    for (key, e) in &entries {
        for field in ["dependencies", "optionalDependencies", "peerDependencies"] {
            for dep in e[field].as_object().into_iter().flat_map(|m| m.keys()) {
                let to = npm_resolve(&entries, key, dep).expect("lockfile resolves its deps");
                out.insert((node_of(key), node_of(to)));
            }
        }
    }
    out
}

fn cargo_edges(lock: &toml::Value, path: &str) -> Edges {
    let pkgs = lock["package"].as_array().unwrap();
    let mut out = Edges::new();
    for p in pkgs {
        let from = node(
            p["name"].as_str().unwrap(),
            p["version"].as_str().unwrap(),
            path,
        );
        for d in p
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
        {
            let mut parts = d.as_str().unwrap().split(' ');
            let name = parts.next().unwrap();
            let version = parts.next();
            let hits: Vec<_> = pkgs
                .iter()
                .filter(|q| {
                    q["name"].as_str() == Some(name)
                        && version.is_none_or(|v| q["version"].as_str() == Some(v))
                })
                .collect();
            assert_eq!(hits.len(), 1, "{d}");
            out.insert((
                from.clone(),
                node(name, hits[0]["version"].as_str().unwrap(), path),
            ));
        }
    }
    out
}

fn go_edges(truth: &Value) -> Edges {
    let mut out = Edges::new();
    for bin in truth["go_binaries"].as_array().unwrap() {
        let Some(main) = bin["main"].as_object() else {
            continue;
        };
        let path = bin["path"].as_str().unwrap();
        // `(devel)` is recorded as no version.
        let v = main["version"].as_str().unwrap();
        let v = if v == "(devel)" { "" } else { v };
        for d in bin["deps"].as_array().unwrap() {
            out.insert((
                node(main["path"].as_str().unwrap(), v, path),
                node(
                    d["path"].as_str().unwrap(),
                    d["version"].as_str().unwrap(),
                    path,
                ),
            ));
        }
    }
    out
}

/// The edges of the CycloneDX document, among components found in `paths`.
fn cyclonedx_edges(bom: &Value, keep: &dyn Fn(&Node) -> bool) -> Edges {
    let mut nodes = BTreeMap::new();
    for c in bom["components"].as_array().unwrap() {
        let path = c["properties"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "hull:path")
            .and_then(|p| p["value"].as_str())
            .unwrap_or("");
        nodes.insert(
            c["bom-ref"].as_str().unwrap().to_string(),
            node(
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap_or(""),
                path,
            ),
        );
    }
    let mut out = Edges::new();
    for d in bom["dependencies"].as_array().into_iter().flatten() {
        let from = &nodes[d["ref"].as_str().unwrap()];
        for to in d["dependsOn"].as_array().into_iter().flatten() {
            let to = &nodes[to.as_str().unwrap()];
            if keep(from) || keep(to) {
                out.insert((from.clone(), to.clone()));
            }
        }
    }
    out
}

#[test]
fn app_debian_cyclonedx_dependencies_are_the_recorded_edges() {
    let Some(corpus) = crate::corpus() else {
        return;
    };
    let target = format!(
        "oci-archive:{}",
        corpus.join("images/app-debian.oci.tar").display()
    );
    let img = hull_image::open(&target, &Default::default()).unwrap();
    let inv = hull_catalog::catalog(&img, &Default::default()).unwrap();
    // The raw lockfiles, as the final filesystem holds them (last layer wins).
    let files: Mutex<BTreeMap<String, (usize, Vec<u8>)>> = Mutex::default();
    img.walk(&|e, r| {
        let p = e.path.as_str();
        if p == "app/package-lock.json" || p == "app/rust-demo/Cargo.lock" {
            let mut v = Vec::new();
            r.read_to_end(&mut v).unwrap();
            let mut f = files.lock().unwrap();
            if f.get(p).is_none_or(|(l, _)| *l <= e.layer) {
                f.insert(p.to_string(), (e.layer, v));
            }
        }
        Ok(())
    })
    .unwrap();
    let files = files.into_inner().unwrap();
    let lock: Value = serde_json::from_slice(&files["app/package-lock.json"].1).unwrap();
    let cargo: toml::Value =
        toml::from_str(std::str::from_utf8(&files["app/rust-demo/Cargo.lock"].1).unwrap()).unwrap();
    let truth: Value =
        serde_json::from_slice(&std::fs::read(corpus.join("truth/app-debian.json")).unwrap())
            .unwrap();

    let bom: Value = serde_json::from_str(
        &hull_report::write(
            &inv,
            hull_report::Format::CycloneDx,
            &hull_report::WriteOptions::fixed("2026-01-01T00:00:00Z"),
        )
        .unwrap(),
    )
    .unwrap();
    for (what, want, keep) in [
        (
            "npm",
            npm_edges(&lock, "/app"),
            Box::new(|n: &Node| {
                n.2.starts_with("/app/node_modules/") || n.2 == "/app/package-lock.json"
            }) as Box<dyn Fn(&Node) -> bool>,
        ),
        (
            "cargo",
            cargo_edges(&cargo, "/app/rust-demo/Cargo.lock"),
            Box::new(|n: &Node| n.2 == "/app/rust-demo/Cargo.lock"),
        ),
        (
            "go",
            go_edges(&truth),
            Box::new(|n: &Node| n.2 == "/usr/local/bin/go-demo"),
        ),
    ] {
        let got = cyclonedx_edges(&bom, &*keep);
        assert!(!want.is_empty(), "{what}: the file records no edge");
        let missing: Vec<_> = want.difference(&got).collect();
        let extra: Vec<_> = got.difference(&want).collect();
        println!(
            "{what}: {} edges recorded, {} in CycloneDX",
            want.len(),
            got.len()
        );
        assert!(
            missing.is_empty() && extra.is_empty(),
            "{what}: missing {missing:?}\nextra {extra:?}"
        );
    }
}
