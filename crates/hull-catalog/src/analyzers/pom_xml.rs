//! `pom-xml`: a Maven project's `pom.xml` (<https://maven.apache.org/pom.html>), for
//! source trees and CI workspaces that ship no built jar.
//!
//! Reported: each `project/dependencies/dependency` whose version is literal, or a
//! `${…}` naming a `project/properties` entry or `project.version` /
//! `project.parent.version` (one level, no inheritance from other files); a dependency
//! whose version is missing (managed by a parent or a BOM), a range or an unresolved
//! property is skipped with a warning, because hull does not guess. `scope` `test` is
//! dev; the scope is kept as `maven.scope`. The project itself (its `groupId` or the
//! parent's, `artifactId`, `version`) is the root package and depends on every reported
//! dependency. `dependencyManagement` and plugins are not dependencies. A `pom.xml`
//! inside a Maven repository (`.m2/repository`) or a jar's `META-INF/maven` is not a
//! project.

use std::collections::HashMap;

use hull_model::{Ecosystem, ImagePath, Package, Purl};
use quick_xml::events::Event;
use quick_xml::Reader;

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "pom-xml",
    wants,
    parse,
};

const MAX_SIZE: u64 = 8 << 20;
/// Element nesting beyond this is not a real POM.
const MAX_DEPTH: usize = 64;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE
        && path.file_name() == "pom.xml"
        && !path.as_str().contains(".m2/repository/")
        && !path.as_str().contains("META-INF/maven/")
}

#[derive(Default, Clone)]
struct Dep {
    group: String,
    artifact: String,
    version: String,
    scope: String,
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = lang::text(input.path, input.data)?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<String> = Vec::new();
    let mut fields: HashMap<String, String> = HashMap::new();
    let mut props: HashMap<String, String> = HashMap::new();
    let mut deps: Vec<Dep> = Vec::new();
    let mut cur: Option<Dep> = None;
    loop {
        let ev = reader
            .read_event()
            .map_err(|e| lang::malformed(input.path, format!("pom.xml: {e}")))?;
        match ev {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(lang::malformed(input.path, "pom.xml nests too deep"));
                }
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                stack.push(name);
                if stack == ["project", "dependencies", "dependency"] {
                    cur = Some(Dep::default());
                }
            }
            Event::End(_) => {
                if stack == ["project", "dependencies", "dependency"] {
                    deps.extend(cur.take());
                }
                stack.pop();
            }
            Event::Text(t) => {
                let value = t
                    .unescape()
                    .map_err(|e| lang::malformed(input.path, format!("pom.xml: {e}")))?
                    .trim()
                    .to_string();
                let path: Vec<&str> = stack.iter().map(String::as_str).collect();
                match path.as_slice() {
                    ["project", "properties", name] => {
                        props.insert(name.to_string(), value);
                    }
                    ["project", "dependencies", "dependency", field] => {
                        if let Some(d) = cur.as_mut() {
                            match *field {
                                "groupId" => d.group = value,
                                "artifactId" => d.artifact = value,
                                "version" => d.version = value,
                                "scope" => d.scope = value,
                                _ => {}
                            }
                        }
                    }
                    ["project", _] | ["project", "parent", _] if !value.is_empty() => {
                        fields.insert(path[1..].join("."), value);
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if fields.is_empty() && deps.is_empty() {
        return Err(lang::malformed(input.path, "no Maven project"));
    }
    let get = |k: &str| fields.get(k).map(String::as_str);
    let resolve = |v: &str| -> Option<String> {
        let Some(inner) = v.strip_prefix("${").and_then(|r| r.strip_suffix('}')) else {
            return (!v.contains("${") && !v.starts_with(['[', '('])).then(|| v.to_string());
        };
        match inner {
            "project.version" | "pom.version" => get("version").or(get("parent.version")),
            "project.parent.version" => get("parent.version"),
            "project.groupId" | "pom.groupId" => get("groupId").or(get("parent.groupId")),
            p => props.get(p).map(String::as_str),
        }
        .filter(|r| !r.contains("${") && !r.is_empty())
        .map(str::to_string)
    };
    let mut found = Found::default();
    let maven = |group: &str, artifact: &str, version: &str| -> Package {
        let purl = Purl::new(
            "maven",
            Some(group),
            artifact,
            lang::purl_version(version),
            &[],
        );
        lang::package(
            Ecosystem::Maven,
            &format!("{group}:{artifact}"),
            version,
            purl,
            input.path.clone(),
            ANALYZER.id,
        )
    };
    let mut children = Vec::new();
    for d in deps {
        let group = resolve(&d.group).unwrap_or_default();
        if group.is_empty() || d.artifact.is_empty() {
            continue;
        }
        let Some(version) = resolve(&d.version).filter(|v| !v.is_empty()) else {
            found.warnings.push(format!(
                "{}: {group}:{} has no literal version (`{}`); not reported",
                input.path, d.artifact, d.version
            ));
            continue;
        };
        let mut p = maven(&group, &d.artifact, &version);
        if !d.scope.is_empty() {
            p.properties.insert("maven.scope".into(), d.scope.clone());
        }
        p.dev = d.scope == "test";
        children.push(p);
    }
    let group = get("groupId").or(get("parent.groupId"));
    let version = get("version").or(get("parent.version")).and_then(resolve);
    if let (Some(g), Some(a)) = (group, get("artifactId")) {
        let mut root = maven(g, a, version.as_deref().unwrap_or(""));
        root.root = true;
        root.depends_on = children.iter().map(|c| c.ref_id()).collect();
        root.depends_on.sort();
        root.depends_on.dedup();
        found.packages.push(root);
    }
    found.packages.extend(children);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_and_property_versions_scopes_and_root() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_pom_xml/service"),
        )
        .unwrap();
        let path = ImagePath::new("src/service/pom.xml").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let got: Vec<(String, bool, bool, usize)> = f
            .packages
            .iter()
            .map(|p| (p.purl.to_string(), p.root, p.dev, p.depends_on.len()))
            .collect();
        assert_eq!(
            got,
            [
                (
                    "pkg:maven/com.example/service@2.3.0".to_string(),
                    true,
                    false,
                    3
                ),
                (
                    "pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1".to_string(),
                    false,
                    false,
                    0
                ),
                (
                    "pkg:maven/com.example/service-api@2.3.0".to_string(),
                    false,
                    false,
                    0
                ),
                ("pkg:maven/junit/junit@4.13.2".to_string(), false, true, 0),
            ]
        );
        // managed (no version) and unresolved-property dependencies are warnings
        assert_eq!(f.warnings.len(), 2, "{:?}", f.warnings);
        let bad = ImagePath::new("pom.xml").unwrap();
        for t in ["<project><dependencies>", "not xml at all <", ""] {
            assert!(
                parse(&FileInput {
                    path: &bad,
                    mode: 0o644,
                    data: t.as_bytes()
                })
                .is_err(),
                "{t}"
            );
        }
        assert!(!wants(
            &ImagePath::new("root/.m2/repository/x/1/pom.xml").unwrap(),
            0o644,
            1
        ));
    }
}
