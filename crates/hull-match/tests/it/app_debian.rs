//! app-debian language findings vs `expected/app-debian.osv.json`.
//!
//! The inventory is built from `truth/app-debian.json` with the choices the corpus
//! README documents (the same ones hull's catalogers make): files owned by a dpkg
//! package are not language packages (runc's Go stdlib, Debian's jars and PyYAML);
//! only crates.io crates count, build-only cargo deps are excluded; Go stdlib is
//! checked for binaries (from their Go version), not for go.mod. Feeds: the whole PyPA,
//! RustSec OSV and Go vulndb, plus the GHSA subset. One expected row = one installed
//! location and one merged vulnerability (all its ids and aliases).

use std::collections::{BTreeMap, BTreeSet};

use hull_model::{Ecosystem, ImagePath, Inventory, Package, Purl};
use serde_json::Value;

use crate::{build_db, corpus};

fn pkg(eco: Ecosystem, name: &str, version: &str, path: &str) -> Package {
    let (ns, short) = match eco {
        Ecosystem::Maven => {
            let (g, a) = name.split_once(':').unwrap();
            (Some(g.to_string()), a.to_string())
        }
        Ecosystem::Go => match name.rsplit_once('/') {
            Some((n, s)) => (Some(n.to_string()), s.to_string()),
            None => (None, name.to_string()),
        },
        _ => (None, name.to_string()),
    };
    let purl = Purl::new(eco.purl_type(), ns.as_deref(), &short, Some(version), &[]);
    let name = if eco == Ecosystem::Maven {
        short
    } else {
        name.to_string()
    };
    Package::new(
        eco,
        name,
        version,
        purl,
        ImagePath::new(path).unwrap(),
        "truth",
    )
}

fn inventory(truth: &Value) -> Inventory {
    let s = |v: &Value, k: &str| v[k].as_str().unwrap_or_default().to_string();
    let owned = |v: &Value| v["dpkg_owned"].as_bool().unwrap_or(false);
    let mut p = Vec::new();
    for d in truth["python"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !owned(d))
    {
        p.push(pkg(
            Ecosystem::Pypi,
            &s(d, "name"),
            &s(d, "version"),
            &s(d, "path"),
        ));
    }
    for d in truth["npm"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !owned(d))
    {
        p.push(pkg(
            Ecosystem::Npm,
            &s(d, "name"),
            &s(d, "version"),
            &s(d, "path"),
        ));
    }
    for lock in truth["cargo_lock"].as_array().unwrap() {
        for c in lock["packages"].as_array().unwrap() {
            if c["source"]
                .as_str()
                .is_some_and(|x| x.contains("crates.io-index"))
            {
                p.push(pkg(
                    Ecosystem::Cargo,
                    &s(c, "name"),
                    &s(c, "version"),
                    &s(lock, "path"),
                ));
            }
        }
    }
    for bin in truth["rust_auditable_binaries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !owned(d))
    {
        for c in bin["packages"].as_array().unwrap() {
            if s(c, "source") == "crates.io" && s(c, "kind") != "build" {
                p.push(pkg(
                    Ecosystem::Cargo,
                    &s(c, "name"),
                    &s(c, "version"),
                    &s(bin, "path"),
                ));
            }
        }
    }
    for m in truth["go_mod_files"].as_array().unwrap() {
        for r in m["require"].as_array().unwrap() {
            p.push(pkg(
                Ecosystem::Go,
                &s(r, "path"),
                &s(r, "version"),
                &s(m, "path"),
            ));
        }
    }
    for b in truth["go_binaries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !owned(d))
    {
        for r in b["deps"].as_array().unwrap() {
            p.push(pkg(
                Ecosystem::Go,
                &s(r, "path"),
                &s(r, "version"),
                &s(b, "path"),
            ));
        }
        let gov = s(b, "go_version");
        p.push(pkg(
            Ecosystem::Go,
            "stdlib",
            gov.trim_start_matches("go"),
            &s(b, "path"),
        ));
    }
    for j in truth["jars"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| !owned(d))
    {
        for pp in j["pom_properties"].as_array().unwrap() {
            let name = format!("{}:{}", s(pp, "groupId"), s(pp, "artifactId"));
            p.push(pkg(
                Ecosystem::Maven,
                &name,
                &s(pp, "version"),
                &s(j, "path"),
            ));
        }
    }
    Inventory {
        packages: p,
        ..Inventory::default()
    }
}

type Row = (String, String, String, BTreeSet<String>);

#[test]
fn app_debian_language_findings_match_expected() {
    let Some(c) = corpus() else { return };
    let truth: Value =
        serde_json::from_slice(&std::fs::read(c.join("truth/app-debian.json")).unwrap()).unwrap();
    check(&c, "truth", &inventory(&truth), &[]);
}

/// Through `hull-image` + `hull-catalog`. hull also reads `package-lock.json`, which
/// the expected data does not scan (it takes `node_modules` as the installed truth):
/// those rows are the only allowed extras, and each must repeat a `node_modules` row.
#[test]
fn app_debian_through_the_image_matches_expected() {
    let Some(c) = corpus() else { return };
    let target = format!(
        "oci-archive:{}",
        c.join("images/app-debian.oci.tar").display()
    );
    let image = hull_image::open(&target, &hull_image::OpenOptions::default()).unwrap();
    let inv = hull_catalog::catalog(&image, &hull_catalog::CatalogOptions::default()).unwrap();
    let lang = Inventory {
        packages: inv
            .packages
            .into_iter()
            .filter(|p| !p.ecosystem.is_os())
            .collect(),
        ..Inventory::default()
    };
    check(&c, "image", &lang, &["/app/package-lock.json"]);
}

fn check(c: &std::path::Path, label: &str, inv: &Inventory, extra_paths: &[&str]) {
    let expected: Value =
        serde_json::from_slice(&std::fs::read(c.join("expected/app-debian.osv.json")).unwrap())
            .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let f = |p: &str| c.join("feeds").join(p);
    let db = build_db(
        tmp.path(),
        "lang",
        &[
            f("pypi-pypa"),
            f("rustsec/osv"),
            f("go-vulndb"),
            f("ghsa/advisories"),
        ],
    );
    let started = std::time::Instant::now();
    let report = hull_match::match_inventory(inv, &db).unwrap();
    println!(
        "[{label}] matched {} packages in {:?}: {} findings, {} notes, stats {:?}",
        inv.packages.len(),
        started.elapsed(),
        report.findings.len(),
        report.notes.len(),
        report.stats
    );
    for n in report.notes.iter().take(5) {
        println!("  note: {n:?}");
    }
    let eco_name = |e: Ecosystem| e.osv_name().unwrap().to_string();
    let all_got: BTreeSet<Row> = report
        .findings
        .iter()
        .map(|f| {
            (
                eco_name(f.package.ecosystem),
                f.package.path.to_string(),
                f.package.name.clone(),
                f.aliases.iter().cloned().collect(),
            )
        })
        .collect();
    // Allowed extra locations must only repeat findings of an expected location.
    for r in all_got
        .iter()
        .filter(|r| extra_paths.contains(&r.1.as_str()))
    {
        assert!(
            all_got
                .iter()
                .any(|o| o.1 != r.1 && o.2 == r.2 && o.3 == r.3),
            "{r:?} at an extra location has no twin"
        );
    }
    let got: BTreeSet<Row> = all_got
        .into_iter()
        .filter(|r| !extra_paths.contains(&r.1.as_str()))
        .collect();
    let want: BTreeSet<Row> = expected
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let pkgname = r["package"].as_str().unwrap();
            // Maven rows name `group:artifact`; hull's Package name is the artifact.
            let pkgname = pkgname.rsplit(':').next().unwrap();
            (
                r["ecosystem"].as_str().unwrap().to_string(),
                r["path"].as_str().unwrap().to_string(),
                pkgname.to_string(),
                r["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|i| i.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    let mut by_eco: BTreeMap<String, (usize, usize, usize)> = BTreeMap::new();
    for r in &want {
        by_eco.entry(r.0.clone()).or_default().0 += 1;
    }
    for r in &got {
        let e = by_eco.entry(r.0.clone()).or_default();
        e.1 += 1;
        if want.contains(r) {
            e.2 += 1;
        }
    }
    for (eco, (w, g, tp)) in &by_eco {
        let precision = if *g == 0 { 1.0 } else { *tp as f64 / *g as f64 };
        let recall = if *w == 0 { 1.0 } else { *tp as f64 / *w as f64 };
        println!("[{label}] {eco:10} expected {w:4} got {g:4} precision {precision:.3} recall {recall:.3}");
    }
    let missing: Vec<_> = want.difference(&got).take(8).collect();
    let extra: Vec<_> = got.difference(&want).take(8).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {} extra {}:\nmissing {missing:#?}\nextra {extra:#?}",
        want.difference(&got).count(),
        got.difference(&want).count()
    );
}
