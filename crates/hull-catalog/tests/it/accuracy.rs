//! Accuracy gate: catalog every corpus image and compare with the ground truth
//! (`$HULL_CORPUS/truth`), printing precision and recall per image and ecosystem next
//! to Trivy's reference SBOM where there is one. Any difference fails the test.
//!
//! Keys compared (versions always included):
//! - OS packages: name, full version (`epoch:` included), arch, source name and version,
//!   and for rpm the modularity label. One status database per image, so no location.
//! - Language packages: name, version and where the package was found (dist-info dir,
//!   `package.json`, `Cargo.lock`, the binary, `go.mod`, the outer jar).
//!
//! Conventions of the truth this gate follows (see the corpus README):
//! - language files owned by a dpkg package are not language packages (`dpkg_owned`);
//! - the root `package.json` is the application, not a package; Cargo.lock's root crate
//!   is a package;
//! - a Go binary's `stdlib` and its main module, an npm lockfile's root project (both
//!   root packages: the application), and a jar identified only by file name
//!   or checksum, are not in the truth: hull may report them (tolerated, not counted),
//!   any other extra is a failure.
//!
//! Go versions are compared without the leading `v` (Trivy drops it).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use hull_model::{Ecosystem, Inventory, Package};
use serde_json::Value;

/// row (ecosystem) → key → expected layer diff_id (if the truth says).
type Sets = BTreeMap<String, BTreeMap<String, Option<String>>>;

#[derive(Default)]
struct Expected {
    sets: Sets,
    /// (row, key) a scanner may report without being counted either way.
    tolerated: BTreeSet<(String, String)>,
    /// (id, version_id) from the release files, if the truth records them.
    distro: Option<(String, String)>,
}

#[derive(Default, Clone, Copy)]
struct Score {
    expected: usize,
    tp: usize,
    fp: usize,
    fn_: usize,
    layer_miss: usize,
}

/// One line of the accuracy table: hull's score for `row` of `label`, then Trivy's
/// where there is one.
fn write_row(table: &mut String, label: &str, row: &str, h: &Score, t: Option<&Score>) {
    let _ = write!(
        table,
        "{:<28} {:<6} {:>5} | {:>5} {:>4} {:>4} {:>7.3} {:>7.3} {:>5} |",
        label,
        row,
        h.expected,
        h.tp + h.fp,
        h.fp,
        h.fn_,
        h.precision(),
        h.recall(),
        h.layer_miss
    );
    if let Some(t) = t {
        let _ = write!(
            table,
            " {:>5} {:>4} {:>4} {:>7.3} {:>7.3} {:>5}",
            t.tp + t.fp,
            t.fp,
            t.fn_,
            t.precision(),
            t.recall(),
            t.layer_miss
        );
    }
    table.push('\n');
}

impl Score {
    fn precision(&self) -> f64 {
        ratio(self.tp, self.tp + self.fp)
    }
    fn recall(&self) -> f64 {
        ratio(self.tp, self.tp + self.fn_)
    }
    fn perfect(&self) -> bool {
        self.fp == 0 && self.fn_ == 0 && self.layer_miss == 0
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        1.0
    } else {
        a as f64 / b as f64
    }
}

fn score(
    row: &str,
    exp: &Expected,
    got: &Sets,
    check_layers: bool,
    diffs: &mut Vec<String>,
) -> Score {
    let empty = BTreeMap::new();
    let e = exp.sets.get(row).unwrap_or(&empty);
    let g = got.get(row).unwrap_or(&empty);
    let mut s = Score {
        expected: e.len(),
        ..Score::default()
    };
    for (k, layer) in e {
        match g.get(k) {
            Some(got_layer) => {
                s.tp += 1;
                if check_layers && layer.is_some() && got_layer != layer {
                    s.layer_miss += 1;
                    diffs.push(format!(
                        "{row}: layer of {k}: got {got_layer:?}, want {layer:?}"
                    ));
                }
            }
            None => {
                s.fn_ += 1;
                diffs.push(format!("{row}: missing {k}"));
            }
        }
    }
    for k in g.keys() {
        if !e.contains_key(k) && !exp.tolerated.contains(&(row.to_string(), k.clone())) {
            s.fp += 1;
            diffs.push(format!("{row}: extra {k}"));
        }
    }
    s
}

// ---------------------------------------------------------------- keys

fn os_key(name: &str, version: &str, arch: &str, src: &str, src_ver: &str) -> String {
    format!("{name}={version} {arch} src={src}@{src_ver}")
}

fn lang_key(name: &str, version: &str, location: &str) -> String {
    format!("{name}@{version} {location}")
}

fn go_version(v: &str) -> &str {
    v.strip_prefix('v').unwrap_or(v)
}

/// Where a language package was found, as the truth names it (absolute path; the
/// dist-info dir rather than its METADATA file).
fn location(p: &Package) -> String {
    let s = p.path.to_string();
    for suffix in ["/METADATA", "/PKG-INFO"] {
        if let Some(dir) = s.strip_suffix(suffix) {
            return dir.to_string();
        }
    }
    s
}

fn hull_sets(inv: &Inventory) -> Sets {
    let mut sets = Sets::new();
    for p in &inv.packages {
        let row = p.ecosystem.as_str().to_string();
        let key = match p.ecosystem {
            Ecosystem::Deb | Ecosystem::Apk | Ecosystem::Rpm => {
                let mut k = os_key(
                    &p.name,
                    &p.version,
                    p.arch.as_deref().unwrap_or(""),
                    p.source_name.as_deref().unwrap_or(""),
                    p.source_version.as_deref().unwrap_or(""),
                );
                if p.ecosystem == Ecosystem::Rpm {
                    let _ = write!(k, " mod={}", p.modularity_label.as_deref().unwrap_or(""));
                }
                k
            }
            Ecosystem::Go => lang_key(&p.name, go_version(&p.version), &location(p)),
            Ecosystem::Maven => {
                let name = match (
                    p.properties.get("maven.group"),
                    p.properties.get("maven.artifact"),
                ) {
                    (Some(g), Some(a)) => format!("{g}:{a}"),
                    _ => p.name.clone(),
                };
                lang_key(&name, &p.version, &location(p))
            }
            _ => lang_key(&p.name, &p.version, &location(p)),
        };
        sets.entry(row)
            .or_default()
            .insert(key, p.layer.as_ref().map(|d| d.to_string()));
    }
    sets
}

// ---------------------------------------------------------------- truth

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn arr<'a>(v: &'a Value, k: &str) -> &'a [Value] {
    v.get(k)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn owned(v: &Value) -> bool {
    v.get("dpkg_owned")
        .and_then(Value::as_bool)
        .unwrap_or(false)
}

fn modern_expected(t: &Value) -> Expected {
    let layers: Vec<String> = t["oci"]["layers"]
        .as_array()
        .map(|ls| ls.iter().map(|l| s(l, "diff_id").to_string()).collect())
        .unwrap_or_default();
    // Truth layers are 1-based indexes into the manifest's layers.
    let layer = |v: &Value| {
        v.get("layer")
            .and_then(Value::as_u64)
            .and_then(|i| layers.get((i as usize).checked_sub(1)?).cloned())
    };
    let mut e = Expected::default();
    let add = |e: &mut Expected, row: &str, key: String, l: Option<String>| {
        e.sets.entry(row.to_string()).or_default().insert(key, l);
    };
    for p in arr(t, "dpkg") {
        let k = os_key(
            s(p, "name"),
            s(p, "version"),
            s(p, "architecture"),
            s(p, "source_name"),
            s(p, "source_version"),
        );
        add(&mut e, "deb", k, layer(p));
    }
    for p in arr(t, "python").iter().filter(|p| !owned(p)) {
        add(
            &mut e,
            "pypi",
            lang_key(s(p, "name"), s(p, "version"), s(p, "path")),
            layer(p),
        );
    }
    for p in arr(t, "npm").iter().filter(|p| !owned(p)) {
        add(
            &mut e,
            "npm",
            lang_key(s(p, "name"), s(p, "version"), s(p, "path")),
            layer(p),
        );
    }
    // A lockfile's root project is the application (a root package, CycloneDX
    // `application`): reported, not counted, like a Go binary's main module.
    for lock in arr(t, "npm_lockfiles") {
        e.tolerated.insert((
            "npm".into(),
            lang_key(s(lock, "name"), s(lock, "version"), s(lock, "path")),
        ));
    }
    for lock in arr(t, "cargo_lock").iter().filter(|l| !owned(l)) {
        for p in arr(lock, "packages") {
            add(
                &mut e,
                "cargo",
                lang_key(s(p, "name"), s(p, "version"), s(lock, "path")),
                layer(lock),
            );
        }
    }
    for bin in arr(t, "rust_auditable_binaries")
        .iter()
        .filter(|b| !owned(b))
    {
        for p in arr(bin, "packages") {
            add(
                &mut e,
                "cargo",
                lang_key(s(p, "name"), s(p, "version"), s(bin, "path")),
                layer(bin),
            );
        }
    }
    for bin in arr(t, "go_binaries").iter().filter(|b| !owned(b)) {
        let path = s(bin, "path");
        for d in arr(bin, "deps") {
            add(
                &mut e,
                "go",
                lang_key(s(d, "path"), go_version(s(d, "version")), path),
                layer(bin),
            );
        }
        let gov = s(bin, "go_version").strip_prefix("go").unwrap_or("");
        e.tolerated
            .insert(("go".into(), lang_key("stdlib", gov, path)));
        if let Some(main) = bin.get("main").filter(|m| m.is_object()) {
            let v = s(main, "version");
            let v = if v == "(devel)" { "" } else { go_version(v) };
            e.tolerated
                .insert(("go".into(), lang_key(s(main, "path"), v, path)));
        }
    }
    for m in arr(t, "go_mod_files") {
        let path = s(m, "path");
        for r in arr(m, "require") {
            add(
                &mut e,
                "go",
                lang_key(s(r, "path"), go_version(s(r, "version")), path),
                layer(m),
            );
        }
        e.tolerated
            .insert(("go".into(), lang_key(s(m, "module"), "", path)));
    }
    for jar in arr(t, "jars").iter().filter(|j| !owned(j)) {
        let outer = s(jar, "path").to_string();
        let l = layer(jar);
        let mut stack = vec![jar];
        while let Some(j) = stack.pop() {
            let poms = arr(j, "pom_properties");
            for pom in poms {
                let name = format!("{}:{}", s(pom, "groupId"), s(pom, "artifactId"));
                add(
                    &mut e,
                    "maven",
                    lang_key(&name, s(pom, "version"), &outer),
                    l.clone(),
                );
            }
            if poms.is_empty() {
                // Only identifiable by checksum or file name: not in the truth's count.
                let m = &j["manifest"];
                let v = s(m, "Implementation-Version");
                for name in [s(m, "Implementation-Title"), s(m, "Bundle-SymbolicName")] {
                    let group = s(m, "Implementation-Vendor-Id");
                    e.tolerated.insert((
                        "maven".into(),
                        lang_key(&format!("{group}:{name}"), v, &outer),
                    ));
                }
            }
            stack.extend(arr(j, "nested"));
        }
    }
    let os = &t["os_release"];
    if os.is_object() {
        e.distro = Some((s(os, "ID").to_string(), s(os, "VERSION_ID").to_string()));
    }
    e
}

fn legacy_expected(t: &Value, meta: &Value) -> (String, Expected) {
    let mut e = Expected::default();
    let mut row = String::new();
    for p in arr(t, "packages") {
        let (r, key) = if p.get("release").is_some() {
            let evr = match p.get("epoch").and_then(Value::as_u64) {
                Some(ep) => format!("{ep}:{}-{}", s(p, "version"), s(p, "release")),
                None => format!("{}-{}", s(p, "version"), s(p, "release")),
            };
            let mut k = os_key(
                s(p, "name"),
                &evr,
                s(p, "arch"),
                s(p, "source_name"),
                s(p, "source_version"),
            );
            let _ = write!(k, " mod={}", s(p, "modularitylabel"));
            ("rpm", k)
        } else if p.get("origin_field_present").is_some() || p.get("commit").is_some() {
            (
                "apk",
                os_key(
                    s(p, "name"),
                    s(p, "version"),
                    s(p, "arch"),
                    s(p, "source_name"),
                    s(p, "source_version"),
                ),
            )
        } else {
            (
                "deb",
                os_key(
                    s(p, "name"),
                    s(p, "version"),
                    s(p, "arch"),
                    s(p, "source_name"),
                    s(p, "source_version"),
                ),
            )
        };
        row = r.to_string();
        e.sets.entry(r.to_string()).or_default().insert(key, None);
    }
    let release = &meta["release"];
    let version = match release {
        Value::String(v) => v.clone(),
        _ => s(release, "os_release_VERSION_ID").to_string(),
    };
    e.distro = Some((s(meta, "distro").to_string(), version));
    (row, e)
}

// ---------------------------------------------------------------- Trivy

fn trivy_sets(cdx: &Value) -> Sets {
    let comps = arr(cdx, "components");
    let prop = |c: &Value, name: &str| -> Option<String> {
        arr(c, "properties")
            .iter()
            .find(|p| s(p, "name") == name)
            .map(|p| s(p, "value").to_string())
    };
    // Libraries listed under an "application" (a lockfile or binary) were found there.
    // The same crate in a Cargo.lock and a binary is one component with two parents.
    let mut app_of: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let apps: BTreeMap<&str, &str> = comps
        .iter()
        .filter(|c| s(c, "type") == "application")
        .map(|c| (s(c, "bom-ref"), s(c, "name")))
        .collect();
    // Trivy's graph goes application → direct deps → their deps: walk it to the leaves.
    let edges: BTreeMap<&str, Vec<&str>> = arr(cdx, "dependencies")
        .iter()
        .map(|d| {
            (
                s(d, "ref"),
                arr(d, "dependsOn")
                    .iter()
                    .filter_map(Value::as_str)
                    .collect(),
            )
        })
        .collect();
    for (app_ref, app_name) in &apps {
        let mut seen = BTreeSet::new();
        let mut stack = vec![*app_ref];
        while let Some(r) = stack.pop() {
            for child in edges.get(r).map(Vec::as_slice).unwrap_or(&[]) {
                if seen.insert(*child) {
                    stack.push(child);
                }
            }
        }
        for c in seen {
            app_of
                .entry(c.to_string())
                .or_default()
                .push(format!("/{app_name}"));
        }
    }
    let mut sets = Sets::new();
    for c in comps {
        let purl = s(c, "purl");
        let Some(rest) = purl.strip_prefix("pkg:") else {
            continue;
        };
        let ty = rest.split('/').next().unwrap_or("");
        let qual = |k: &str| -> Option<String> {
            purl.split_once('?')?.1.split('&').find_map(|kv| {
                let (a, b) = kv.split_once('=')?;
                (a == k).then(|| b.to_string())
            })
        };
        let name = s(c, "name");
        let version = s(c, "version");
        let locs = prop(c, "aquasecurity:trivy:FilePath")
            .map(|f| vec![format!("/{f}")])
            .or_else(|| app_of.get(s(c, "bom-ref")).cloned())
            .unwrap_or_else(|| vec![String::new()]);
        let layer = prop(c, "aquasecurity:trivy:LayerDiffID");
        for loc in locs {
            let (row, key) = match ty {
                "deb" => {
                    let v = match qual("epoch") {
                        Some(e) if e != "0" => format!("{e}:{version}"),
                        _ => version.to_string(),
                    };
                    let src = prop(c, "aquasecurity:trivy:SrcName").unwrap_or_default();
                    let mut sv = prop(c, "aquasecurity:trivy:SrcVersion").unwrap_or_default();
                    if let Some(r) =
                        prop(c, "aquasecurity:trivy:SrcRelease").filter(|r| !r.is_empty())
                    {
                        sv = format!("{sv}-{r}");
                    }
                    if let Some(e) = prop(c, "aquasecurity:trivy:SrcEpoch").filter(|e| e != "0") {
                        sv = format!("{e}:{sv}");
                    }
                    (
                        "deb",
                        os_key(name, &v, &qual("arch").unwrap_or_default(), &src, &sv),
                    )
                }
                "pypi" => {
                    let l = loc.strip_suffix("/METADATA").unwrap_or(&loc).to_string();
                    ("pypi", lang_key(name, version, &l))
                }
                "npm" => {
                    let full = match c.get("group").and_then(Value::as_str) {
                        Some(g) if !g.is_empty() => format!("{g}/{name}"),
                        _ => name.to_string(),
                    };
                    ("npm", lang_key(&full, version, &loc))
                }
                "cargo" | "rustbinary" => ("cargo", lang_key(name, version, &loc)),
                "golang" => ("go", lang_key(name, go_version(version), &loc)),
                "maven" => {
                    let outer = match loc.find(".jar/") {
                        Some(i) => loc[..i + 4].to_string(),
                        None => loc.clone(),
                    };
                    let group = c.get("group").and_then(Value::as_str).unwrap_or("");
                    (
                        "maven",
                        lang_key(&format!("{group}:{name}"), version, &outer),
                    )
                }
                other => (other, lang_key(name, version, &loc)),
            };
            sets.entry(row.to_string())
                .or_default()
                .insert(key, layer.clone());
        }
    }
    sets
}

// ---------------------------------------------------------------- driver

struct Case {
    id: String,
    target: String,
    expected: Expected,
    trivy: Option<Sets>,
}

fn read_json(p: &Path) -> Value {
    let bytes = std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn cases(corpus: &Path) -> Vec<Case> {
    let mut out = Vec::new();
    // Modern images: OCI archives, and the docker-archive variants stored beside them.
    let mut modern: Vec<_> = std::fs::read_dir(corpus.join("images"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    modern.sort();
    for p in modern {
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        let (id, target) = if let Some(id) = file.strip_suffix(".oci.tar") {
            (id.to_string(), format!("oci-archive:{}", p.display()))
        } else if let Some(id) = file.strip_suffix(".docker.tar") {
            (id.to_string(), format!("docker-archive:{}", p.display()))
        } else {
            continue;
        };
        let truth = read_json(&corpus.join("truth").join(format!("{id}.json")));
        let trivy_file = corpus
            .join("reference/trivy")
            .join(&id)
            .join("trivy-image.cdx.json");
        let label = if target.starts_with("docker-archive:") {
            format!("{id} (docker)")
        } else {
            id
        };
        out.push(Case {
            target,
            expected: modern_expected(&truth),
            trivy: trivy_file
                .is_file()
                .then(|| trivy_sets(&read_json(&trivy_file))),
            id: label,
        });
    }
    let mut legacy: Vec<_> = std::fs::read_dir(corpus.join("images/legacy"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    legacy.sort();
    for p in legacy {
        let file = p.file_name().unwrap().to_string_lossy().to_string();
        let (id, target) = if let Some(id) = file.strip_suffix(".docker.tar") {
            (id.to_string(), format!("docker-archive:{}", p.display()))
        } else if let Some(id) = file.strip_suffix(".oci") {
            (id.to_string(), format!("oci-dir:{}", p.display()))
        } else {
            continue;
        };
        let truth = read_json(&corpus.join("truth/legacy").join(format!("{id}.json")));
        let meta = read_json(&corpus.join("truth/legacy").join(format!("{id}.meta.json")));
        let (_, expected) = legacy_expected(&truth, &meta);
        out.push(Case {
            id,
            target,
            expected,
            trivy: None,
        });
    }
    out
}

#[test]
fn accuracy_against_truth() {
    let Some(corpus) = crate::corpus() else {
        return;
    };
    let cases = cases(&corpus);
    assert!(
        cases.len() >= 21,
        "expected 4 modern and 17 legacy images, found {}",
        cases.len()
    );
    let mut table = String::new();
    let _ = writeln!(
        table,
        "{:<28} {:<6} {:>5} | {:>5} {:>4} {:>4} {:>7} {:>7} {:>5} | {:>5} {:>4} {:>4} {:>7} {:>7} {:>5}",
        "image", "eco", "truth", "hull", "fp", "fn", "prec", "recall", "layer", "trivy", "fp", "fn", "prec", "recall", "layer"
    );
    let mut failures = Vec::new();
    let mut totals: BTreeMap<String, (Score, Option<Score>)> = BTreeMap::new();
    let opts = hull_image::OpenOptions::default();
    for case in &cases {
        let start = std::time::Instant::now();
        let inv = match hull_image::open(&case.target, &opts)
            .map_err(|e| e.to_string())
            .and_then(|img| {
                hull_catalog::catalog(&img, &Default::default()).map_err(|e| e.to_string())
            }) {
            Ok(inv) => inv,
            Err(e) => {
                failures.push(format!("{}: {e}", case.id));
                continue;
            }
        };
        let elapsed = start.elapsed();
        let got = hull_sets(&inv);
        let mut diffs = Vec::new();
        if let Some((id, ver)) = &case.expected.distro {
            let d = inv
                .distro
                .as_ref()
                .map(|d| (d.id.clone(), d.version_id.clone()));
            let ok = d.as_ref().is_some_and(|(gid, gver)| {
                gid == id
                    && (ver.is_empty()
                        || gver == ver
                        || gver.starts_with(&format!("{ver}."))
                        || ver.starts_with(&format!("{gver}.")))
            });
            if !ok {
                diffs.push(format!("distro: got {d:?}, want ({id}, {ver})"));
            }
        }
        let rows: BTreeSet<&String> = case.expected.sets.keys().chain(got.keys()).collect();
        for row in rows {
            let h = score(row, &case.expected, &got, true, &mut diffs);
            let mut ignore = Vec::new();
            let t = case
                .trivy
                .as_ref()
                .map(|ts| score(row, &case.expected, ts, true, &mut ignore));
            write_row(&mut table, &case.id, row, &h, t.as_ref());
            let tot = totals.entry(row.clone()).or_default();
            add(&mut tot.0, &h);
            if let Some(t) = t {
                add(tot.1.get_or_insert_with(Score::default), &t);
            }
        }
        let _ = writeln!(
            table,
            "{:<28} ({} packages, {:.2?})",
            case.id,
            inv.packages.len(),
            elapsed
        );
        for d in diffs {
            failures.push(format!("{}: {d}", case.id));
        }
    }
    let _ = writeln!(
        table,
        "\nall images, per ecosystem (Trivy: images with a reference SBOM only)"
    );
    for (row, (h, t)) in &totals {
        write_row(&mut table, "TOTAL", row, h, t.as_ref());
        let _ = h.perfect();
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "{} differences from the truth:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn add(into: &mut Score, s: &Score) {
    into.expected += s.expected;
    into.tp += s.tp;
    into.fp += s.fp;
    into.fn_ += s.fn_;
    into.layer_miss += s.layer_miss;
}
