//! Pieces the CycloneDX and SPDX modules share: licence classification, property names,
//! and turning a foreign SBOM entry back into a [`Package`].

use std::collections::BTreeMap;

use hull_model::{Diagnostic, Digest, Distro, ImagePath, Package, Purl};

use crate::purl::ParsedPurl;

/// Property / annotation names hull writes (stable, documented in docs/sbom.md).
pub(crate) const P_PATH: &str = "hull:path";
pub(crate) const P_LAYER: &str = "hull:layer";
pub(crate) const P_FOUND_BY: &str = "hull:found-by";
pub(crate) const P_ARCH: &str = "hull:arch";
pub(crate) const P_SOURCE_NAME: &str = "hull:source-name";
pub(crate) const P_SOURCE_VERSION: &str = "hull:source-version";
pub(crate) const P_MODULARITY: &str = "hull:modularity-label";
/// `true` on a development-only dependency ([`Package::dev`]).
pub(crate) const P_DEV: &str = "hull:dev";
/// `true` on a lockfile's root project or a binary's main module ([`Package::root`]).
pub(crate) const P_ROOT: &str = "hull:root";
/// Prefix for `Package::properties` entries: `hull:property:go.version`.
pub(crate) const P_PROPERTY: &str = "hull:property:";

/// SPDX licence-list identifiers common in container images. Licences in this list are
/// written as SPDX ids; anything else is kept verbatim as a licence name (CycloneDX) or a
/// `LicenseRef-` (SPDX), because both schemas reject ids that are not on the list.
const SPDX_IDS: &[&str] = &[
    "0BSD",
    "AFL-2.1",
    "AGPL-3.0-only",
    "AGPL-3.0-or-later",
    "Apache-1.1",
    "Apache-2.0",
    "Artistic-1.0",
    "Artistic-2.0",
    "BSD-1-Clause",
    "BSD-2-Clause",
    "BSD-3-Clause",
    "BSD-4-Clause",
    "BSL-1.0",
    "BlueOak-1.0.0",
    "CC-BY-3.0",
    "CC-BY-4.0",
    "CC-BY-SA-3.0",
    "CC-BY-SA-4.0",
    "CC0-1.0",
    "CDDL-1.0",
    "CDDL-1.1",
    "EPL-1.0",
    "EPL-2.0",
    "GFDL-1.2-or-later",
    "GFDL-1.3-or-later",
    "GPL-1.0-or-later",
    "GPL-2.0-only",
    "GPL-2.0-or-later",
    "GPL-3.0-only",
    "GPL-3.0-or-later",
    "HPND",
    "ISC",
    "LGPL-2.0-only",
    "LGPL-2.0-or-later",
    "LGPL-2.1-only",
    "LGPL-2.1-or-later",
    "LGPL-3.0-only",
    "LGPL-3.0-or-later",
    "MIT",
    "MIT-0",
    "MPL-1.1",
    "MPL-2.0",
    "NCSA",
    "OFL-1.1",
    "OpenSSL",
    "PSF-2.0",
    "Python-2.0",
    "Ruby",
    "Unicode-3.0",
    "Unicode-DFS-2016",
    "Unlicense",
    "W3C",
    "WTFPL",
    "X11",
    "Zlib",
    "curl",
];

/// The canonical SPDX id for `s` when it is one of [`SPDX_IDS`] (case-insensitive, as the
/// SPDX spec matches ids).
pub(crate) fn spdx_id(s: &str) -> Option<&'static str> {
    SPDX_IDS
        .iter()
        .copied()
        .find(|id| id.eq_ignore_ascii_case(s.trim()))
}

/// Facts about one package read from a foreign SBOM, before it is checked.
#[derive(Default)]
pub(crate) struct Hints {
    pub name: Option<String>,
    pub version: Option<String>,
    pub licenses: Vec<String>,
    /// Name/value pairs: CycloneDX properties or SPDX annotations, other tools' included.
    pub props: Vec<(String, String)>,
}

impl Hints {
    fn prop(&self, names: &[&str]) -> Option<&str> {
        names.iter().find_map(|n| {
            self.props
                .iter()
                .find(|(k, v)| k == n && !v.is_empty())
                .map(|(_, v)| v.as_str())
        })
    }
}

/// Build a package from a purl and what the document says about it. Returns `None` (and
/// records why in `diags`) when the purl is unusable: partial failure is data.
pub(crate) fn package_from(
    purl: &str,
    hints: &Hints,
    reader: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Package> {
    let parsed = match ParsedPurl::parse(purl) {
        Ok(p) => p,
        Err(e) => {
            diags.push(Diagnostic {
                path: None,
                source: reader.to_string(),
                message: format!("skipped component: {e}"),
            });
            return None;
        }
    };
    let Some(ecosystem) = parsed.ecosystem() else {
        diags.push(Diagnostic {
            path: None,
            source: reader.to_string(),
            message: format!(
                "skipped component `{purl}`: purl type `{}` is not an ecosystem hull tracks",
                parsed.ty
            ),
        });
        return None;
    };
    // Component names are what the producing tool calls the package (`Django`, with the
    // distro's spelling); purl names are normalised. Prefer the document's name.
    let name = hints
        .name
        .clone()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or_else(|| parsed.package_name());
    // An unknown version is still an installed package (Go main modules built from a
    // checkout say `(devel)`, hull records that as empty): keep it, matchers skip it.
    let version = hints
        .version
        .clone()
        .filter(|v| !v.is_empty())
        .or_else(|| parsed.version.clone())
        .unwrap_or_default();

    // hull's own properties first, then what Trivy and Syft write, so their SBOMs keep
    // the file and layer a package came from.
    let raw_path = hints.prop(&[
        P_PATH,
        "aquasecurity:trivy:FilePath",
        "syft:location:0:path",
    ]);
    let path = match raw_path.map(ImagePath::new) {
        Some(Ok(p)) => p,
        Some(Err(e)) => {
            diags.push(Diagnostic {
                path: None,
                source: reader.to_string(),
                message: format!("component `{purl}`: {e}; path dropped"),
            });
            ImagePath::root()
        }
        None => ImagePath::root(),
    };
    let layer = hints
        .prop(&[
            P_LAYER,
            "aquasecurity:trivy:LayerDiffID",
            "syft:location:0:layerID",
        ])
        .and_then(|d| Digest::parse(d).ok());
    // A document hull wrote says everything it knows in properties; only other tools'
    // documents need facts guessed from purl qualifiers.
    let from_hull = hints.prop(&[P_FOUND_BY]).is_some();
    let found_by = hints
        .prop(&[P_FOUND_BY])
        .map(str::to_string)
        .unwrap_or_else(|| reader.to_string());
    let arch = hints.prop(&[P_ARCH]).map(str::to_string).or_else(|| {
        parsed
            .qualifiers
            .get("arch")
            .filter(|_| !from_hull)
            .cloned()
    });
    // Syft writes the source package as `upstream=name@version` (or just the name).
    let (up_name, up_version) = match parsed.qualifiers.get("upstream").filter(|_| !from_hull) {
        Some(u) => match u.split_once('@') {
            Some((n, v)) => (Some(n.to_string()), Some(v.to_string())),
            None => (Some(u.clone()), None),
        },
        None => (None, None),
    };
    let source_name = hints
        .prop(&[P_SOURCE_NAME, "aquasecurity:trivy:SrcName"])
        .map(str::to_string)
        .or(up_name);
    let source_version = hints
        .prop(&[P_SOURCE_VERSION, "aquasecurity:trivy:SrcVersion"])
        .map(str::to_string)
        .or(up_version);
    let modularity_label = hints
        .prop(&[P_MODULARITY, "aquasecurity:trivy:Modularitylabel"])
        .map(str::to_string);
    let properties: BTreeMap<String, String> = hints
        .props
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix(P_PROPERTY)?.to_string(), v.clone())))
        .collect();

    Some(Package {
        ecosystem,
        name,
        version,
        arch,
        source_name,
        source_version,
        modularity_label,
        licenses: hints.licenses.clone(),
        purl: Purl::from_string(purl.to_string()),
        path,
        layer,
        found_by,
        properties,
        dev: hints.prop(&[P_DEV]).is_some_and(|v| v == "true"),
        root: hints.prop(&[P_ROOT]).is_some_and(|v| v == "true"),
        depends_on: Vec::new(),
    })
}

/// When an SBOM names no operating system, the `distro` qualifier of its OS packages
/// (`debian-12`, `alpine-3.18`, `rhel-8.2`) still tells which one it is.
pub(crate) fn distro_from_purls(packages: &[Package]) -> Option<Distro> {
    packages
        .iter()
        .filter(|p| p.ecosystem.is_os())
        .find_map(|p| {
            let q = ParsedPurl::parse(p.purl.as_str()).ok()?;
            let d = q.qualifiers.get("distro")?;
            let (id, version) = match d.split_once('-') {
                Some((id, v)) if !id.is_empty() => (id.to_string(), v.to_string()),
                // Some tools write only the codename (`distro=jessie`).
                _ => (q.namespace.clone(), String::new()),
            };
            let (id, codename) = if id.is_empty() {
                (q.namespace.clone(), Some(d.clone()))
            } else {
                (id, None)
            };
            Some(Distro {
                id,
                version_id: version,
                codename,
                pretty_name: None,
                id_like: Vec::new(),
                path: ImagePath::root(),
            })
        })
}

/// A stable package order for reader output (same key as the writers use).
pub(crate) fn sort_packages(pkgs: &mut [Package]) {
    pkgs.sort_by(|a, b| {
        (a.ecosystem, &a.name, &a.version, &a.path, &a.purl).cmp(&(
            b.ecosystem,
            &b.name,
            &b.version,
            &b.path,
            &b.purl,
        ))
    });
}
