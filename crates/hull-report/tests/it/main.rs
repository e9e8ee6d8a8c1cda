//! hull-report integration tests: writers on hand-built inventories, round trips through
//! every format, validation by the formats' own tools when installed, reading Trivy's
//! real SBOMs from the corpus, and replay of the fuzz seeds.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::Command;

use hull_model::{
    Diagnostic, Digest, Distro, Ecosystem, ImageInfo, ImagePath, Inventory, LayerInfo, Package,
    Purl,
};
use hull_report::{read_sbom, write, Format, WriteOptions};
use serde_json::Value;

mod vuln;

const TS: &str = "2026-11-29T10:00:00Z";

fn digest(c: char) -> Digest {
    Digest::parse(&format!("sha256:{}", c.to_string().repeat(64))).unwrap()
}

#[allow(clippy::too_many_arguments)]
fn pkg(
    eco: Ecosystem,
    ns: Option<&str>,
    name: &str,
    version: &str,
    path: &str,
    quals: &[(&str, &str)],
    licences: &[&str],
    found_by: &str,
) -> Package {
    let purl_name = name.rsplit(['/', ':']).next().unwrap();
    Package {
        licenses: licences.iter().map(|s| s.to_string()).collect(),
        layer: Some(digest('b')),
        ..Package::new(
            eco,
            name,
            version,
            Purl::new(eco.purl_type(), ns, purl_name, Some(version), quals),
            ImagePath::new(path).unwrap(),
            found_by,
        )
    }
}

/// A small image with one package of each awkward kind: epoch and `+` in a deb version,
/// an npm scope, a Go module path, a Maven group, a licence that is not an SPDX id,
/// a licence expression, and unicode in a path.
fn sample() -> Inventory {
    let mut libc = pkg(
        Ecosystem::Deb,
        Some("debian"),
        "libc6",
        "2.36-9+deb12u4",
        "var/lib/dpkg/status",
        &[("arch", "amd64"), ("distro", "debian-12")],
        &["LGPL-2.1-or-later", "GPL-2.0-or-later"],
        "dpkg",
    );
    libc.arch = Some("amd64".into());
    libc.source_name = Some("glibc".into());
    libc.source_version = Some("2.36-9+deb12u4".into());
    libc.layer = Some(digest('a'));
    let mut perl = pkg(
        Ecosystem::Deb,
        Some("debian"),
        "perl-base",
        "1:5.36.0-7+deb12u1",
        "var/lib/dpkg/status",
        &[("arch", "amd64"), ("distro", "debian-12")],
        &["GPL-1.0-or-later OR Artistic-1.0"],
        "dpkg",
    );
    perl.source_name = Some("perl".into());
    let mut go = pkg(
        Ecosystem::Go,
        Some("github.com/dgrijalva"),
        "github.com/dgrijalva/jwt-go",
        "v3.2.0+incompatible",
        "usr/local/bin/go-demo",
        &[],
        &[],
        "go-binary",
    );
    go.properties.insert("go.version".into(), "go1.19.8".into());
    Inventory {
        image: ImageInfo {
            target: "oci-archive:app.tar".into(),
            manifest_digest: Some(digest('c')),
            config_digest: Some(digest('d')),
            repo_tags: vec!["app:1".into()],
            os: Some("linux".into()),
            architecture: Some("amd64".into()),
            layers: vec![
                LayerInfo {
                    digest: Some(digest('e')),
                    diff_id: digest('a'),
                    media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".into()),
                    size: 1234,
                    created_by: Some("ADD rootfs.tar /".into()),
                },
                LayerInfo {
                    digest: Some(digest('f')),
                    diff_id: digest('b'),
                    media_type: Some("application/vnd.oci.image.layer.v1.tar+gzip".into()),
                    size: 99,
                    created_by: None,
                },
            ],
        },
        distro: Some(Distro {
            id: "debian".into(),
            version_id: "12".into(),
            codename: Some("bookworm".into()),
            pretty_name: Some("Debian GNU/Linux 12 (bookworm)".into()),
            id_like: vec![],
            path: ImagePath::new("etc/os-release").unwrap(),
        }),
        packages: vec![
            go,
            pkg(
                Ecosystem::Npm,
                Some("@babel"),
                "@babel/core",
                "7.0.0",
                "app/node_modules/@babel/core/package.json",
                &[],
                &["MIT"],
                "npm-package",
            ),
            libc,
            perl,
            pkg(
                Ecosystem::Pypi,
                None,
                "Django",
                "3.2",
                "opt/venv/lib/python3.11/site-packages/Django-3.2.dist-info/METADATA",
                &[],
                &["BSD License"],
                "python-dist",
            ),
            pkg(
                Ecosystem::Maven,
                Some("com.thoughtworks.xstream"),
                "com.thoughtworks.xstream:xstream",
                "1.4.20",
                "app/java/démo-app.jar",
                &[],
                &["BSD-3-Clause"],
                "java-archive",
            ),
        ],
        diagnostics: vec![Diagnostic {
            path: Some(ImagePath::new("usr/bin/broken").unwrap()),
            source: "go-binary".into(),
            message: "truncated build info".into(),
        }],
    }
}

fn opts() -> WriteOptions {
    WriteOptions::fixed(TS)
}

/// The identity of each package a round trip must keep.
fn key_set(inv: &Inventory) -> BTreeSet<String> {
    inv.packages
        .iter()
        .map(|p| {
            format!(
                "{} {} {} {} {}",
                p.ecosystem, p.name, p.version, p.purl, p.path
            )
        })
        .collect()
}

#[test]
fn every_format_round_trips_packages_distro_and_image() {
    let inv = sample();
    for format in [Format::CycloneDx, Format::SpdxJson, Format::Json] {
        let text = write(&inv, format, &opts()).unwrap();
        let back = read_sbom(text.as_bytes()).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(key_set(&back), key_set(&inv), "{format}");
        let mut want = inv.packages.clone();
        let mut got = back.packages.clone();
        want.sort_by_key(|p| p.ref_id());
        got.sort_by_key(|p| p.ref_id());
        assert_eq!(got, want, "{format}: every package field survives");
        assert_eq!(back.distro, inv.distro, "{format}");
        assert_eq!(back.image.target, inv.image.target, "{format}");
        assert_eq!(back.image.manifest_digest, inv.image.manifest_digest);
        assert_eq!(back.image.config_digest, inv.image.config_digest);
        assert_eq!(back.image.layers.len(), 2, "{format}");
        assert_eq!(back.image.layers[1].diff_id, digest('b'));
        assert_eq!(back.image.layers, inv.image.layers, "{format}");
    }
    let json = write(&inv, Format::Json, &opts()).unwrap();
    let mut sorted = inv.clone();
    sorted.packages = read_sbom(json.as_bytes()).unwrap().packages;
    assert_eq!(
        read_sbom(json.as_bytes()).unwrap(),
        sorted,
        "hull json is lossless"
    );
}

/// [`sample`] with a dependency graph: a Go binary's main module (a root package) that
/// depends on the module beside it, and the npm package marked dev.
fn sample_with_graph() -> Inventory {
    let mut inv = sample();
    // The binary's main module: a root package that depends on its one module.
    let mut main = pkg(
        Ecosystem::Go,
        Some("example.com"),
        "example.com/go-demo",
        "v1.4.2",
        "usr/local/bin/go-demo",
        &[],
        &[],
        "go-binary",
    );
    main.root = true;
    main.depends_on = vec![inv.packages[0].ref_id()];
    inv.packages.push(main);
    inv.packages[1].dev = true;
    inv
}

#[test]
fn dependency_graph_application_and_dev_are_written() {
    let mut inv = sample_with_graph();
    // Every field, the graph included, survives a round trip.
    for format in [Format::CycloneDx, Format::SpdxJson, Format::Json] {
        let back = read_sbom(write(&inv, format, &opts()).unwrap().as_bytes()).unwrap();
        let mut want = inv.packages.clone();
        let mut got = back.packages.clone();
        want.sort_by_key(|p| p.ref_id());
        got.sort_by_key(|p| p.ref_id());
        assert_eq!(got, want, "{format}");
    }
    let main = inv.packages.iter().position(|p| p.root).unwrap();
    let jwt = inv.packages[0].ref_id();
    // An edge to a package the document does not hold is dropped.
    inv.packages[main]
        .depends_on
        .push("pkg:golang/not-in-the-document@v1#/x".into());
    let main_ref = inv.packages[main].ref_id();

    let bom: Value =
        serde_json::from_str(&write(&inv, Format::CycloneDx, &opts()).unwrap()).unwrap();
    assert_eq!(
        bom["dependencies"],
        serde_json::json!([{ "ref": main_ref, "dependsOn": [jwt] }])
    );
    let comp = |r: &str| {
        bom["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["bom-ref"] == r)
            .unwrap()
            .clone()
    };
    assert_eq!(comp(&main_ref)["type"], "application");
    assert_eq!(comp(&main_ref)["version"], "v1.4.2");
    assert_eq!(comp(&jwt)["type"], "library");
    let babel = inv.packages.iter().find(|p| p.dev).unwrap().ref_id();
    assert!(comp(&babel)["properties"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!({"name": "hull:dev", "value": "true"})));

    let spdx: Value =
        serde_json::from_str(&write(&inv, Format::SpdxJson, &opts()).unwrap()).unwrap();
    let depends: Vec<&Value> = spdx["relationships"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["relationshipType"] == "DEPENDS_ON")
        .collect();
    assert_eq!(depends.len(), 1, "{depends:?}");
    let name_of = |id: &Value| {
        spdx["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| &p["SPDXID"] == id)
            .map(|p| (p["name"].clone(), p["primaryPackagePurpose"].clone()))
            .unwrap()
    };
    assert_eq!(
        name_of(&depends[0]["spdxElementId"]),
        ("example.com/go-demo".into(), "APPLICATION".into())
    );
    assert_eq!(
        name_of(&depends[0]["relatedSpdxElement"]).0,
        "github.com/dgrijalva/jwt-go"
    );
    // Read back, the dangling edge is gone and the real one is kept.
    for format in [Format::CycloneDx, Format::SpdxJson] {
        let back = read_sbom(write(&inv, format, &opts()).unwrap().as_bytes()).unwrap();
        let m = back.packages.iter().find(|p| p.root).unwrap();
        assert_eq!(m.depends_on, std::slice::from_ref(&jwt), "{format}");
        assert!(back.packages.iter().any(|p| p.dev), "{format}");
    }
}

#[test]
fn writers_are_deterministic_and_order_independent() {
    let inv = sample();
    let mut shuffled = inv.clone();
    shuffled.packages.reverse();
    for format in Format::ALL {
        let a = write(&inv, format, &opts()).unwrap();
        let b = write(&shuffled, format, &opts()).unwrap();
        assert_eq!(a, b, "{format}");
    }
    let other = WriteOptions::fixed("2027-01-01T00:00:00Z");
    assert_ne!(
        write(&inv, Format::CycloneDx, &opts()).unwrap(),
        write(&inv, Format::CycloneDx, &other).unwrap()
    );
}

#[test]
fn cyclonedx_has_required_fields() {
    let v: Value =
        serde_json::from_str(&write(&sample(), Format::CycloneDx, &opts()).unwrap()).unwrap();
    assert_eq!(v["bomFormat"], "CycloneDX");
    assert_eq!(v["specVersion"], "1.6");
    assert_eq!(v["version"], 1);
    let serial = v["serialNumber"].as_str().unwrap();
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );
    assert_eq!(v["metadata"]["timestamp"], TS);
    let image = &v["metadata"]["component"];
    assert_eq!(image["type"], "container");
    assert_eq!(image["hashes"][0]["alg"], "SHA-256");
    assert_eq!(image["hashes"][0]["content"], "c".repeat(64));
    let comps = v["components"].as_array().unwrap();
    assert_eq!(comps.len(), 7, "distro + 6 packages");
    assert_eq!(comps[0]["type"], "operating-system");
    assert_eq!(comps[0]["name"], "debian");
    let refs: BTreeSet<&str> = comps
        .iter()
        .map(|c| c["bom-ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs.len(), comps.len(), "bom-refs are unique");
    let libc = comps.iter().find(|c| c["name"] == "libc6").unwrap();
    assert_eq!(libc["type"], "library");
    assert_eq!(
        libc["purl"],
        "pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&distro=debian-12"
    );
    assert_eq!(libc["licenses"][0]["license"]["id"], "LGPL-2.1-or-later");
    let props: Vec<(&str, &str)> = libc["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap(), p["value"].as_str().unwrap()))
        .collect();
    assert!(props.contains(&("hull:path", "/var/lib/dpkg/status")));
    assert!(props.contains(&("hull:source-name", "glibc")));
    assert!(props.contains(&("hull:found-by", "dpkg")));
    let django = comps.iter().find(|c| c["name"] == "Django").unwrap();
    assert_eq!(django["licenses"][0]["license"]["name"], "BSD License");
    let perl = comps.iter().find(|c| c["name"] == "perl-base").unwrap();
    assert_eq!(
        perl["licenses"][0]["expression"],
        "GPL-1.0-or-later OR Artistic-1.0"
    );
}

#[test]
fn spdx_has_required_fields_and_safe_ids() {
    let v: Value =
        serde_json::from_str(&write(&sample(), Format::SpdxJson, &opts()).unwrap()).unwrap();
    assert_eq!(v["spdxVersion"], "SPDX-2.3");
    assert_eq!(v["dataLicense"], "CC0-1.0");
    assert_eq!(v["SPDXID"], "SPDXRef-DOCUMENT");
    assert!(!v["documentNamespace"].as_str().unwrap().contains('#'));
    assert_eq!(v["creationInfo"]["created"], TS);
    let pkgs = v["packages"].as_array().unwrap();
    assert_eq!(pkgs.len(), 8, "image + distro + 6 packages");
    for p in pkgs {
        let id = p["SPDXID"].as_str().unwrap();
        assert!(id.starts_with("SPDXRef-"));
        assert!(
            id["SPDXRef-".len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-'),
            "{id}"
        );
        assert!(p["downloadLocation"].is_string());
    }
    let rels = v["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES"
        && r["spdxElementId"] == "SPDXRef-DOCUMENT"
        && r["relatedSpdxElement"] == "SPDXRef-Image"));
    assert_eq!(
        rels.iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count(),
        7
    );
    let django = pkgs.iter().find(|p| p["name"] == "Django").unwrap();
    let lic = django["licenseDeclared"].as_str().unwrap();
    assert!(lic.starts_with("LicenseRef-BSD-License-"), "{lic}");
    let extracted = v["hasExtractedLicensingInfos"].as_array().unwrap();
    assert!(extracted
        .iter()
        .any(|e| e["licenseId"] == lic && e["extractedText"] == "BSD License"));
    let xs = pkgs
        .iter()
        .find(|p| p["name"] == "com.thoughtworks.xstream:xstream")
        .unwrap();
    assert_eq!(
        xs["externalRefs"][0]["referenceCategory"],
        "PACKAGE-MANAGER"
    );
    assert_eq!(
        xs["externalRefs"][0]["referenceLocator"],
        "pkg:maven/com.thoughtworks.xstream/xstream@1.4.20"
    );
}

#[test]
fn table_fits_100_columns_and_lists_everything() {
    let mut inv = sample();
    inv.packages[0].path = ImagePath::new(&"very-long-directory-name/".repeat(10)).unwrap();
    inv.packages[1].name = "a-package-name-that-is-far-too-long-for-any-table-column".into();
    let t = write(&inv, Format::Table, &opts()).unwrap();
    for line in t.lines() {
        assert!(
            line.chars().count() <= 100,
            "{} > 100: {line}",
            line.chars().count()
        );
    }
    assert!(t.contains("Debian GNU/Linux 12 (bookworm)"));
    assert!(
        t.contains("Packages  6 (deb 2, pypi 1, npm 1, go 1, maven 1)"),
        "{t}"
    );
    assert!(t.contains("libc6"));
    assert!(t.contains("1:5.36.0-7+deb12u1"));
    assert!(t.contains("warning: go-binary /usr/bin/broken: truncated build info"));
    let names: Vec<&str> = t
        .lines()
        .skip_while(|l| !l.starts_with("NAME"))
        .skip(1)
        .filter(|l| !l.starts_with("warning"))
        .map(|l| l.split_whitespace().next().unwrap())
        .collect();
    assert_eq!(names[0], "libc6", "deb first, sorted by name");
    assert_eq!(names[1], "perl-base");
}

#[test]
fn readers_reject_what_is_not_an_sbom() {
    for (doc, want) in [
        (&b"not json"[..], "not valid json"),
        (br#"{"hello": 1}"#, "neither cyclonedx"),
        (
            br#"{"bomFormat":"CycloneDX","specVersion":"2.0"}"#,
            "unsupported cyclonedx version `2.0`",
        ),
        (br#"{"spdxVersion":"SPDX-3.0"}"#, "unsupported spdx version"),
        (
            br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":7}"#,
            "does not match",
        ),
        (
            br#"{"schema_version": 99}"#,
            "unsupported hull json version",
        ),
    ] {
        let e = read_sbom(doc).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}

#[test]
fn readers_keep_bad_components_as_diagnostics() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.4","components":[
        {"type":"library","name":"x","version":"1","purl":"pkg:generic/x@1"},
        {"type":"library","name":"y","version":"1","purl":"not-a-purl"},
        {"type":"library","name":"z","purl":"pkg:npm/z"},
        {"type":"library","name":"evil","version":"1","purl":"pkg:npm/evil@1",
         "properties":[{"name":"hull:path","value":"../../etc/passwd"}]},
        {"type":"application","name":"app","components":[
            {"type":"library","name":"lodash","version":"4.17.4","purl":"pkg:npm/lodash@4.17.4"}]}
    ]}"#;
    let inv = read_sbom(doc).unwrap();
    let names: Vec<&str> = inv.packages.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["evil", "lodash", "z"],
        "nested components are found"
    );
    assert!(inv.packages[0].path.is_root(), "traversal path dropped");
    assert!(inv.packages[2].version.is_empty(), "unknown version kept");
    assert_eq!(inv.diagnostics.len(), 3, "{:?}", inv.diagnostics);
}

#[test]
fn distro_is_recovered_from_purl_qualifiers() {
    let doc = br#"{"bomFormat":"CycloneDX","specVersion":"1.5","components":[
        {"type":"library","name":"musl","version":"1.2.4-r2",
         "purl":"pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.18.4&upstream=musl"}]}"#;
    let inv = read_sbom(doc).unwrap();
    let d = inv.distro.unwrap();
    assert_eq!((d.id.as_str(), d.version_id.as_str()), ("alpine", "3.18.4"));
    let p = &inv.packages[0];
    assert_eq!(p.ecosystem, Ecosystem::Apk);
    assert_eq!(p.arch.as_deref(), Some("x86_64"));
    assert_eq!(p.source_name.as_deref(), Some("musl"));
}

// ---------------------------------------------------------------- external validators

/// Run a Python snippet; `None` when python3 or the module is missing (then the test
/// prints a loud SKIP, like the corpus tests).
fn python(script: &str, arg: &std::path::Path) -> Option<(bool, String)> {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(arg)
        .output()
        .ok()?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if text.contains("ModuleNotFoundError") {
        return None;
    }
    Some((out.status.success(), text))
}

fn require_validators() -> bool {
    std::env::var("HULL_REQUIRE_VALIDATORS").is_ok_and(|v| v == "1")
}

#[test]
fn cyclonedx_validates_against_the_official_1_6_schema() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bom.json");
    std::fs::write(
        &f,
        write(&sample_with_graph(), Format::CycloneDx, &opts()).unwrap(),
    )
    .unwrap();
    let script = "import sys\n\
from cyclonedx.validation.json import JsonStrictValidator\n\
from cyclonedx.schema import SchemaVersion\n\
e = JsonStrictValidator(SchemaVersion.V1_6).validate_str(open(sys.argv[1]).read())\n\
print(e or 'valid'); sys.exit(1 if e else 0)\n";
    match python(script, &f) {
        Some((ok, out)) => assert!(ok, "schema validation failed: {out}"),
        None if require_validators() => panic!("cyclonedx-python-lib[json-validation] missing"),
        None => eprintln!(
            "SKIP: python3 module `cyclonedx` not installed \
             (pip install 'cyclonedx-python-lib[json-validation]')"
        ),
    }
}

#[test]
fn spdx_validates_with_spdx_tools() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("sbom.spdx.json");
    std::fs::write(
        &f,
        write(&sample_with_graph(), Format::SpdxJson, &opts()).unwrap(),
    )
    .unwrap();
    let script = "import sys\n\
from spdx_tools.spdx.parser.parse_anything import parse_file\n\
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document\n\
msgs = validate_full_spdx_document(parse_file(sys.argv[1]))\n\
[print(m.validation_message) for m in msgs]\n\
sys.exit(1 if msgs else 0)\n";
    match python(script, &f) {
        Some((ok, out)) => assert!(ok, "spdx validation failed: {out}"),
        None if require_validators() => panic!("spdx-tools missing"),
        None => {
            eprintln!("SKIP: python3 module `spdx_tools` not installed (pip install spdx-tools)")
        }
    }
}

// ---------------------------------------------------------------- corpus: Trivy's SBOMs

fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("images")
}

#[test]
fn reads_trivys_cyclonedx_of_app_debian() {
    let Some(c) = corpus() else { return };
    let raw = std::fs::read(c.join("reference/trivy/app-debian/trivy-image.cdx.json")).unwrap();
    let inv = read_sbom(&raw).unwrap();
    let truth: Value =
        serde_json::from_slice(&std::fs::read(c.join("truth/app-debian.json")).unwrap()).unwrap();
    let debs = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Deb)
        .count();
    assert_eq!(
        debs as u64,
        truth["summary"]["dpkg_installed"].as_u64().unwrap()
    );
    let npm = inv
        .packages
        .iter()
        .filter(|p| p.ecosystem == Ecosystem::Npm)
        .count();
    assert!(npm >= 53, "trivy lists every node_modules package: {npm}");
    let d = inv.distro.as_ref().unwrap();
    assert_eq!(d.id, "debian");
    assert_eq!(inv.image.layers.len(), 5, "diff_ids from trivy's property");
    let django = inv.packages.iter().find(|p| p.name == "Django").unwrap();
    assert_eq!(django.path.file_name(), "METADATA");
    assert!(django.layer.is_some());
    let libc = inv.packages.iter().find(|p| p.name == "libc6").unwrap();
    assert_eq!(libc.source_name.as_deref(), Some("glibc"));
    // `pkg:rustbinary/...` is Trivy-specific: reported, not silently dropped.
    assert!(inv
        .diagnostics
        .iter()
        .any(|d| d.message.contains("rustbinary")));
}

#[test]
fn reads_trivys_cyclonedx_of_the_other_images() {
    let Some(c) = corpus() else { return };
    for img in ["whiteout", "secrets"] {
        let raw =
            std::fs::read(c.join(format!("reference/trivy/{img}/trivy-image.cdx.json"))).unwrap();
        let inv = read_sbom(&raw).unwrap_or_else(|e| panic!("{img}: {e}"));
        let truth: Value =
            serde_json::from_slice(&std::fs::read(c.join(format!("truth/{img}.json"))).unwrap())
                .unwrap();
        // Trivy's dpkg list is right on these images (compare.md); so must ours be.
        let debs = inv
            .packages
            .iter()
            .filter(|p| p.ecosystem == Ecosystem::Deb)
            .count();
        let want = truth["summary"]["dpkg_installed"].as_u64().unwrap_or(0);
        assert_eq!(debs as u64, want, "{img}");
    }
}

// ---------------------------------------------------------------- fuzz seeds

#[test]
fn fuzz_seeds_never_panic() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus");
    let mut n = 0;
    for target in [
        "sbom_read",
        "purl_parse",
        "hullignore_parse",
        "openvex_parse",
    ] {
        for e in std::fs::read_dir(root.join(target)).unwrap().flatten() {
            let data = std::fs::read(e.path()).unwrap();
            if target == "sbom_read" {
                let _ = read_sbom(&data);
            } else if target == "hullignore_parse" {
                let _ = hull_report::filter::IgnoreFile::parse(&data);
            } else if target == "openvex_parse" {
                let _ = hull_report::filter::VexDocument::parse(&data);
            } else if let Ok(s) = std::str::from_utf8(&data) {
                let _ = hull_report::purl::ParsedPurl::parse(s);
            }
            n += 1;
        }
    }
    assert!(n >= 10, "seed corpus present: {n}");
}
