//! Accuracy of the language analyzers on the real corpus image `app-debian.oci.tar`,
//! checked against `truth/app-debian.json`. The image is read here with `tar` + `flate2`
//! (a minimal OCI-archive walk: index -> manifest -> gzip layers, later layers win,
//! `.wh.` whiteouts honoured) so these tests do not depend on the assembly.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::PathBuf;

use hull_model::{ImagePath, Package};
use serde_json::Value;

use super::{
    cargo_auditable, cargo_lock, go_binary, go_mod, java_archive, npm, npm_lock, python_dist,
};
use crate::{Analyzer, FileInput};

fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("images/app-debian.oci.tar")
}

const LANG: [Analyzer; 8] = [
    python_dist::ANALYZER,
    npm::ANALYZER,
    npm_lock::ANALYZER,
    cargo_lock::ANALYZER,
    cargo_auditable::ANALYZER,
    go_binary::ANALYZER,
    go_mod::ANALYZER,
    java_archive::ANALYZER,
];

/// Run the language analyzers over the merged view of the image.
fn scan(dir: &std::path::Path) -> Vec<Package> {
    let mut outer =
        tar::Archive::new(std::fs::File::open(dir.join("images/app-debian.oci.tar")).unwrap());
    let mut blobs = BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut v = Vec::new();
        e.read_to_end(&mut v).unwrap();
        blobs.insert(name.trim_start_matches("./").to_string(), v);
    }
    let blob = |d: &str| &blobs[&format!("blobs/sha256/{}", d.trim_start_matches("sha256:"))];
    let index: Value = serde_json::from_slice(&blobs["index.json"]).unwrap();
    let manifest: Value =
        serde_json::from_slice(blob(index["manifests"][0]["digest"].as_str().unwrap())).unwrap();
    // path -> packages found in the latest layer that wrote it
    let mut view: BTreeMap<String, Vec<Package>> = BTreeMap::new();
    for layer in manifest["layers"].as_array().unwrap() {
        let gz = flate2::read::GzDecoder::new(&blob(layer["digest"].as_str().unwrap())[..]);
        let mut t = tar::Archive::new(gz);
        for e in t.entries().unwrap() {
            let mut e = e.unwrap();
            let raw = e.path().unwrap().to_string_lossy().into_owned();
            let Ok(path) = ImagePath::new(&raw) else {
                continue;
            };
            let file = path.file_name();
            if let Some(hidden) = file.strip_prefix(".wh.") {
                let parent = path.parent().unwrap_or_else(ImagePath::root);
                if hidden == ".wh..opq" {
                    view.retain(|k, _| {
                        !ImagePath::new(k).unwrap().starts_with(&parent) || k == parent.as_str()
                    });
                } else if let Ok(gone) = parent.join(hidden) {
                    view.retain(|k, _| !ImagePath::new(k).unwrap().starts_with(&gone));
                }
                continue;
            }
            view.remove(path.as_str());
            if !e.header().entry_type().is_file() {
                continue;
            }
            let mode = e.header().mode().unwrap_or(0);
            let size = e.header().size().unwrap_or(0);
            let wanted: Vec<_> = LANG
                .iter()
                .filter(|a| (a.wants)(&path, mode, size))
                .collect();
            if wanted.is_empty() {
                continue;
            }
            let mut data = Vec::new();
            e.read_to_end(&mut data).unwrap();
            let mut pkgs = Vec::new();
            for a in wanted {
                match (a.parse)(&FileInput {
                    path: &path,
                    mode,
                    data: &data,
                }) {
                    Ok(f) => pkgs.extend(f.packages),
                    Err(err) => eprintln!("{}: {err}", a.id),
                }
            }
            view.insert(path.as_str().to_string(), pkgs);
        }
    }
    let mut all: Vec<Package> = view.into_values().flatten().collect();
    npm::drop_shadowed_lockfile_packages(&mut all);
    all
}

fn truth(dir: &std::path::Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("truth/app-debian.json")).unwrap()).unwrap()
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_string()
}

type Row = (String, String, String);

fn rows(pkgs: &[Package], by: &str) -> BTreeSet<Row> {
    pkgs.iter()
        .filter(|p| p.found_by == by)
        .map(|p| (p.name.clone(), p.version.clone(), p.path.to_string()))
        .collect()
}

/// Truth rows of files that list packages: for each file in `files` and each entry of
/// its `list`, `(entry[name_key], entry.version, file.path)`.
fn listed(files: &Value, list: &str, name_key: &str) -> BTreeSet<Row> {
    let mut want = BTreeSet::new();
    for file in files.as_array().unwrap() {
        for e in file[list].as_array().unwrap() {
            want.insert((s(&e[name_key]), s(&e["version"]), s(&file["path"])));
        }
    }
    want
}

fn report(what: &str, got: &BTreeSet<Row>, want: &BTreeSet<Row>) {
    let tp = got.intersection(want).count();
    let precision = tp as f64 / got.len().max(1) as f64;
    let recall = tp as f64 / want.len().max(1) as f64;
    eprintln!(
        "{what}: found {} expected {} matched {tp} precision {precision:.3} recall {recall:.3}",
        got.len(),
        want.len()
    );
    assert_eq!(
        got.difference(want).collect::<Vec<_>>(),
        Vec::<&Row>::new(),
        "{what}: extra"
    );
    assert_eq!(
        want.difference(got).collect::<Vec<_>>(),
        Vec::<&Row>::new(),
        "{what}: missing"
    );
}

#[test]
fn app_debian_language_packages_match_truth() {
    let Some(dir) = corpus() else { return };
    let t = truth(&dir);
    let pkgs = scan(&dir);
    let dpkg_owned: BTreeSet<String> = ["python", "go_binaries", "jars", "rust_auditable_binaries"]
        .iter()
        .flat_map(|k| t[*k].as_array().unwrap().iter())
        .filter(|e| e["dpkg_owned"] == Value::Bool(true))
        .map(|e| s(&e["path"]))
        .collect();
    // dpkg-owned language files are still found here; assembly reports them as OS packages.
    let owned: BTreeSet<String> = pkgs
        .iter()
        .filter(|p| dpkg_owned.contains(&p.path.to_string()))
        .map(|p| format!("{} {} {}", p.found_by, p.name, p.version))
        .collect();
    assert_eq!(
        owned,
        [
            "go-binary stdlib v1.19.8",
            "java-archive com.fasterxml.jackson.core:jackson-annotations 2.14.0",
            "java-archive com.fasterxml.jackson.core:jackson-core 2.14.1",
            "java-archive com.fasterxml.jackson.core:jackson-databind 2.14.0",
            "python-dist PyYAML 6.0",
        ]
        .into_iter()
        .map(String::from)
        .collect()
    );
    let pkgs: Vec<Package> = pkgs
        .into_iter()
        .filter(|p| !dpkg_owned.contains(&p.path.to_string()))
        .collect();

    let want: BTreeSet<Row> = t["python"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["dpkg_owned"] != Value::Bool(true))
        .map(|e| (s(&e["name"]), s(&e["version"]), s(&e["path"])))
        .collect();
    report("python-dist", &rows(&pkgs, "python-dist"), &want);

    let want: BTreeSet<Row> = t["npm"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (s(&e["name"]), s(&e["version"]), s(&e["path"])))
        .collect();
    report("npm", &rows(&pkgs, "npm"), &want);
    // The lockfile repeats node_modules, so it is shadowed and adds nothing but its
    // root project (the application), which the truth lists apart.
    let roots: BTreeSet<Row> = t["npm_root_projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let dir = s(&e["path"]).trim_end_matches("/package.json").to_string();
            (
                s(&e["name"]),
                s(&e["version"]),
                format!("{dir}/package-lock.json"),
            )
        })
        .collect();
    assert_eq!(rows(&pkgs, "npm-lock"), roots);
    assert!(pkgs
        .iter()
        .filter(|p| p.found_by == "npm-lock")
        .all(|p| p.root));

    let want = listed(&t["cargo_lock"], "packages", "name");
    report("cargo-lock", &rows(&pkgs, "cargo-lock"), &want);

    let mut want = BTreeSet::new();
    for bin in t["rust_auditable_binaries"].as_array().unwrap() {
        for p in bin["packages"].as_array().unwrap() {
            want.insert((s(&p["name"]), s(&p["version"]), s(&bin["path"])));
            let got = pkgs
                .iter()
                .find(|q| q.found_by == "cargo-auditable" && q.name == s(&p["name"]))
                .expect("auditable crate");
            assert_eq!(got.properties["cargo.source"], s(&p["source"]));
            assert_eq!(got.properties["cargo.kind"], s(&p["kind"]));
        }
    }
    report("cargo-auditable", &rows(&pkgs, "cargo-auditable"), &want);

    let mut want = BTreeSet::new();
    for bin in t["go_binaries"].as_array().unwrap() {
        if bin["dpkg_owned"] == Value::Bool(true) {
            continue;
        }
        let path = s(&bin["path"]);
        for d in bin["deps"].as_array().unwrap() {
            want.insert((s(&d["path"]), s(&d["version"]), path.clone()));
        }
        if let Some(main) = bin["main"].as_object() {
            let v = s(&main["version"]);
            let v = if v == "(devel)" { String::new() } else { v };
            want.insert((s(&main["path"]), v, path.clone()));
        }
        let stdlib = go_binary::stdlib_version(&s(&bin["go_version"])).unwrap();
        want.insert(("stdlib".into(), stdlib, path.clone()));
    }
    report("go-binary", &rows(&pkgs, "go-binary"), &want);

    let want = listed(&t["go_mod_files"], "require", "path");
    report("go-mod", &rows(&pkgs, "go-mod"), &want);

    let mut want = BTreeSet::new();
    let mut sha1s = BTreeMap::new();
    fn walk(j: &Value, path: &str, want: &mut BTreeSet<Row>, sha1s: &mut BTreeMap<String, String>) {
        for p in j["pom_properties"].as_array().unwrap() {
            let name = format!("{}:{}", s(&p["groupId"]), s(&p["artifactId"]));
            sha1s.insert(name.clone(), s(&j["sha1"]));
            want.insert((name, s(&p["version"]), path.to_string()));
        }
        for n in j["nested"].as_array().unwrap() {
            walk(n, path, want, sha1s);
        }
    }
    for j in t["jars"].as_array().unwrap() {
        if j["dpkg_owned"] != Value::Bool(true) {
            walk(j, &s(&j["path"]), &mut want, &mut sha1s);
        }
    }
    report("java-archive", &rows(&pkgs, "java-archive"), &want);
    for p in pkgs.iter().filter(|p| p.found_by == "java-archive") {
        assert_eq!(p.properties["java.sha1"], sha1s[&p.name], "{}", p.name);
    }
}

#[test]
fn app_debian_package_lock_matches_truth() {
    let Some(dir) = corpus() else { return };
    let t = truth(&dir);
    // Parse the real lockfile directly (the scan above shadows it by node_modules).
    let lock = t["npm_lockfiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| s(&l["path"]) == "/app/package-lock.json")
        .unwrap();
    let want: BTreeSet<(String, String)> = lock["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["dev"] != Value::Bool(true))
        .map(|p| (s(&p["name"]), s(&p["version"])))
        .collect();
    let mut outer =
        tar::Archive::new(std::fs::File::open(dir.join("images/app-debian.oci.tar")).unwrap());
    let mut blobs = BTreeMap::new();
    for e in outer.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut v = Vec::new();
        e.read_to_end(&mut v).unwrap();
        blobs.insert(name, v);
    }
    let mut data = None;
    for (_, b) in blobs.iter().filter(|(k, _)| k.starts_with("blobs/")) {
        if b.len() < 2 || b[..2] != [0x1f, 0x8b] {
            continue;
        }
        let mut t = tar::Archive::new(flate2::read::GzDecoder::new(&b[..]));
        let Ok(entries) = t.entries() else { continue };
        for e in entries.flatten() {
            let mut e = e;
            let p = e
                .path()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default();
            if p.trim_start_matches("./") == "app/package-lock.json" {
                let mut v = Vec::new();
                e.read_to_end(&mut v).unwrap();
                data = Some(v);
            }
        }
    }
    let data = data.expect("app/package-lock.json in the image");
    let path = ImagePath::new("app/package-lock.json").unwrap();
    let found = (npm_lock::ANALYZER.parse)(&FileInput {
        path: &path,
        mode: 0o644,
        data: &data,
    })
    .unwrap();
    let (roots, deps): (Vec<_>, Vec<_>) = found.packages.into_iter().partition(|p| p.root);
    let got: BTreeSet<(String, String)> = deps.into_iter().map(|p| (p.name, p.version)).collect();
    assert_eq!(got, want);
    let lock = &t["npm_lockfiles"][0];
    assert_eq!(
        roots
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect::<Vec<_>>(),
        [(s(&lock["name"]), s(&lock["version"]))]
    );
}
