//! `java-archive`: Java archives (`.jar`, `.war`, `.ear`, `.par`, Jenkins `.hpi`/`.jpi`),
//! including archives nested inside them (Spring Boot `BOOT-INF/lib/`, `WEB-INF/lib/`,
//! EAR modules), to a depth of 4.
//!
//! A package is identified by each `META-INF/maven/<group>/<artifact>/pom.properties`
//! (groupId, artifactId, version) — what Maven itself writes. When an archive has none,
//! `META-INF/MANIFEST.MF` is used only if it names all three coordinates
//! (`Implementation-Vendor-Id`, `Implementation-Title`, `Implementation-Version`);
//! titles with spaces are prose, not artifact ids, and guessing a group from a file name
//! invents coordinates that advisories never use, so such archives yield no package.
//!
//! Every package records `maven.group`, `maven.artifact`, the SHA-1 of the archive that
//! holds it (`java.sha1`, the key of Maven Central's search and of Java vulnerability
//! DBs) and, for nested archives, the entry chain (`java.entry`,
//! `BOOT-INF/lib/x.jar`). `path` is always the outer file in the image.
//!
//! Archives are hostile input: entry sizes are capped, the total bytes inflated per
//! outer file are capped (zip bombs), and only stored/deflate entries are read.

use std::io::{Cursor, Read};

use hull_model::{Ecosystem, ImagePath, Purl};
use sha1::{Digest as _, Sha1};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "java-archive",
    wants,
    parse,
};

const MAX_SIZE: u64 = 512 << 20;
const MAX_DEPTH: usize = 4;
/// Bytes inflated per outer archive, nested archives included.
const MAX_INFLATED: u64 = 1 << 30;
/// A single nested archive held in memory.
const MAX_NESTED: u64 = 256 << 20;
/// pom.properties / MANIFEST.MF are tiny; anything bigger is not one.
const MAX_SMALL: u64 = 1 << 20;
const EXTENSIONS: [&str; 6] = [".jar", ".war", ".ear", ".par", ".hpi", ".jpi"];

fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    EXTENSIONS.iter().any(|e| lower.ends_with(e))
}

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE && is_archive_name(path.file_name())
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let mut scan = Scan {
        path: input.path,
        budget: MAX_INFLATED,
        found: Found::default(),
    };
    scan.archive(input.data, "", 0)
        .map_err(|e| lang::malformed(input.path, e))?;
    Ok(scan.found)
}

struct Scan<'a> {
    path: &'a ImagePath,
    budget: u64,
    found: Found,
}

#[derive(Debug, Default, PartialEq)]
pub struct Coordinates {
    pub group: String,
    pub artifact: String,
    pub version: String,
}

impl Scan<'_> {
    /// Read one archive; `chain` is `""` for the outer file, else the nested entry path.
    fn archive(&mut self, bytes: &[u8], chain: &str, depth: usize) -> Result<(), String> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| format!("zip: {e}"))?;
        let sha1 = hex(&Sha1::digest(bytes));
        let mut poms = Vec::new();
        let mut manifest = None;
        let mut nested = Vec::new();
        for i in 0..zip.len() {
            let Ok(entry) = zip.by_index_raw(i) else {
                continue;
            };
            if entry.is_dir() {
                continue;
            }
            let name = entry.name().to_string();
            if name.starts_with("META-INF/maven/") && name.ends_with("/pom.properties") {
                poms.push((i, name));
            } else if name.eq_ignore_ascii_case("META-INF/MANIFEST.MF") {
                manifest = Some(i);
            } else if is_archive_name(&name) && depth + 1 < MAX_DEPTH {
                nested.push((i, name));
            }
        }
        let mut coords = Vec::new();
        for (i, name) in &poms {
            match self.read(&mut zip, *i, MAX_SMALL) {
                Ok(b) => match pom_properties(&String::from_utf8_lossy(&b)) {
                    Some(c) => coords.push(c),
                    None => self.warn(chain, &format!("{name}: no groupId/artifactId/version")),
                },
                Err(e) => self.warn(chain, &format!("{name}: {e}")),
            }
        }
        if coords.is_empty() {
            if let Some(i) = manifest {
                if let Ok(b) = self.read(&mut zip, i, MAX_SMALL) {
                    coords.extend(manifest_coordinates(&String::from_utf8_lossy(&b)));
                }
            }
        }
        for c in coords {
            self.push(&c, &sha1, chain);
        }
        for (i, name) in nested {
            let inner_chain = if chain.is_empty() {
                name.clone()
            } else {
                format!("{chain}!/{name}")
            };
            match self.read(&mut zip, i, MAX_NESTED) {
                Ok(b) => {
                    if let Err(e) = self.archive(&b, &inner_chain, depth + 1) {
                        self.warn(&inner_chain, &e);
                    }
                }
                Err(e) => self.warn(&inner_chain, &e),
            }
        }
        Ok(())
    }

    /// Inflate entry `i`, charging the per-file budget; refuse entries over `cap`.
    fn read(
        &mut self,
        zip: &mut zip::ZipArchive<Cursor<&[u8]>>,
        i: usize,
        cap: u64,
    ) -> Result<Vec<u8>, String> {
        let entry = zip.by_index(i).map_err(|e| format!("zip: {e}"))?;
        // The declared size may lie; it only serves to refuse early.
        if entry.size() > cap {
            return Err(format!("entry of {} bytes is over the limit", entry.size()));
        }
        let limit = cap.min(self.budget);
        let mut out = Vec::new();
        entry
            .take(limit + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("inflate: {e}"))?;
        let n = out.len() as u64;
        if n > limit {
            self.budget = 0;
            return Err("entry inflates past the limit (zip bomb?)".to_string());
        }
        self.budget -= n;
        Ok(out)
    }

    fn push(&mut self, c: &Coordinates, sha1: &str, chain: &str) {
        let name = format!("{}:{}", c.group, c.artifact);
        let purl = Purl::new(
            "maven",
            Some(&c.group),
            &c.artifact,
            lang::purl_version(&c.version),
            &[],
        );
        let mut p = lang::package(
            Ecosystem::Maven,
            &name,
            &c.version,
            purl,
            self.path.clone(),
            ANALYZER.id,
        );
        p.properties
            .insert("maven.group".to_string(), c.group.clone());
        p.properties
            .insert("maven.artifact".to_string(), c.artifact.clone());
        p.properties
            .insert("java.sha1".to_string(), sha1.to_string());
        if !chain.is_empty() {
            p.properties
                .insert("java.entry".to_string(), chain.to_string());
        }
        // Shaded jars can repeat a pom.properties; one package per coordinates and place.
        if !self.found.packages.iter().any(|q| {
            q.purl == p.purl && q.properties.get("java.entry") == p.properties.get("java.entry")
        }) {
            self.found.packages.push(p);
        }
    }

    fn warn(&mut self, chain: &str, msg: &str) {
        let at = if chain.is_empty() {
            self.path.to_string()
        } else {
            format!("{}!/{chain}", self.path)
        };
        self.found.warnings.push(format!("{at}: {msg}"));
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Java `.properties` subset used by Maven: `key=value` / `key: value`, `#`/`!` comments.
pub fn pom_properties(text: &str) -> Option<Coordinates> {
    let mut c = Coordinates::default();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', '!']) {
            continue;
        }
        let Some(i) = line.find(['=', ':']) else {
            continue;
        };
        let (k, v) = (line[..i].trim(), line[i + 1..].trim());
        match k {
            "groupId" => c.group = v.to_string(),
            "artifactId" => c.artifact = v.to_string(),
            "version" => c.version = v.to_string(),
            _ => {}
        }
    }
    (!c.group.is_empty() && !c.artifact.is_empty() && !c.version.is_empty()).then_some(c)
}

/// Main-section attributes of a JAR manifest; lines starting with a space continue the
/// previous value (the format wraps at 72 bytes).
pub fn manifest_attributes(text: &str) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            break; // end of the main section; per-entry sections follow
        }
        if let Some(cont) = line.strip_prefix(' ') {
            if let Some(last) = out.last_mut() {
                last.1.push_str(cont);
            }
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            out.push((k.trim().to_string(), v.trim().to_string()));
        }
    }
    out
}

fn manifest_coordinates(text: &str) -> Option<Coordinates> {
    let attrs = manifest_attributes(text);
    let get = |k: &str| {
        attrs
            .iter()
            .find(|(a, _)| a.eq_ignore_ascii_case(k))
            .map(|(_, v)| v.trim_matches('"').to_string())
            .filter(|v| !v.is_empty() && !v.contains(char::is_whitespace))
    };
    Some(Coordinates {
        group: get("Implementation-Vendor-Id")?,
        artifact: get("Implementation-Title")?,
        version: get("Implementation-Version")?,
    })
}

#[cfg(test)]
pub mod tests {
    use super::*;
    use std::io::Write;

    /// Build a zip in memory (deflate).
    pub fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, data) in files {
            w.start_file(*name, opts).unwrap();
            w.write_all(data).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn run(data: &[u8]) -> Result<Found, AnalyzeError> {
        let path = ImagePath::new("app/java/demo.jar").unwrap();
        parse(&FileInput {
            path: &path,
            mode: 0o644,
            data,
        })
    }

    fn summary(f: &Found) -> Vec<String> {
        f.packages
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p.purl,
                    p.properties
                        .get("java.entry")
                        .map(String::as_str)
                        .unwrap_or("-")
                )
            })
            .collect()
    }

    #[test]
    fn fat_jar_with_nested_libs() {
        let xstream = zip_of(&[(
            "META-INF/maven/com.thoughtworks.xstream/xstream/pom.properties",
            b"#Generated\ngroupId=com.thoughtworks.xstream\nartifactId=xstream\nversion=1.4.20\n",
        )]);
        let log4j = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\nImplementation-Title: log4j\nImplementation-Version: 1.2.17\n",
        )]);
        let vendor = zip_of(&[(
            "META-INF/MANIFEST.MF",
            b"Manifest-Version: 1.0\r\nImplementation-Title: comm\r\n ons-x\r\nImplementation-Version: 2.0\r\nImplementation-Vendor-Id: org.example\r\n\r\nName: foo\r\n",
        )]);
        let deep = zip_of(&[("lib/inner.jar", &vendor)]);
        let outer = zip_of(&[
            (
                "META-INF/MANIFEST.MF",
                b"Manifest-Version: 1.0\nImplementation-Title: demo-app\n",
            ),
            (
                "META-INF/maven/com.example/demo-app/pom.properties",
                b"groupId=com.example\nartifactId=demo-app\nversion=1.0.0\n",
            ),
            ("BOOT-INF/lib/xstream-1.4.20.jar", &xstream),
            ("BOOT-INF/lib/log4j-1.2-1.2.17.jar", &log4j),
            ("WEB-INF/lib/deep.war", &deep),
            ("BOOT-INF/lib/broken.jar", b"not a zip"),
        ]);
        let found = run(&outer).unwrap();
        assert_eq!(
            summary(&found),
            [
                "pkg:maven/com.example/demo-app@1.0.0 -",
                "pkg:maven/com.thoughtworks.xstream/xstream@1.4.20 BOOT-INF/lib/xstream-1.4.20.jar",
                "pkg:maven/org.example/commons-x@2.0 WEB-INF/lib/deep.war!/lib/inner.jar",
            ]
        );
        assert_eq!(found.packages[0].name, "com.example:demo-app");
        assert_eq!(
            found.packages[0].properties["java.sha1"],
            hex(&Sha1::digest(&outer))
        );
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
    }

    #[test]
    fn depth_limit() {
        let mut z = zip_of(&[(
            "META-INF/maven/g/a/pom.properties",
            b"groupId=g\nartifactId=a\nversion=1\n",
        )]);
        for _ in 0..6 {
            z = zip_of(&[("x.jar", &z)]);
        }
        assert!(run(&z).unwrap().packages.is_empty());
    }

    #[test]
    fn zip_bomb_is_refused() {
        let big = vec![0u8; 4 << 20];
        let z = zip_of(&[("META-INF/maven/g/a/pom.properties", &big)]);
        let found = run(&z).unwrap();
        assert!(found.packages.is_empty());
        assert_eq!(found.warnings.len(), 1);
        assert!(run(b"PK\x03\x04garbage").is_err());
        assert!(run(b"").is_err());
    }

    #[test]
    fn properties_table() {
        for (text, want) in [
            ("groupId=g\nartifactId=a\nversion=1", Some(("g", "a", "1"))),
            (
                "# c\ngroupId: g\n artifactId = a \nversion=1.0-SNAPSHOT",
                Some(("g", "a", "1.0-SNAPSHOT")),
            ),
            ("groupId=g\nartifactId=a", None),
            ("", None),
        ] {
            let got = pom_properties(text);
            let got = got
                .as_ref()
                .map(|c| (c.group.as_str(), c.artifact.as_str(), c.version.as_str()));
            assert_eq!(got, want, "{text}");
        }
    }
}
