//! Red Hat CSAF 2.0 advisories and VEX documents
//! (<https://security.access.redhat.com/data/csaf/v2/>).
//!
//! Product ids join a product (`AppStream-9.4.0.Z.MAIN.EUS`, whose CPE names the RHEL
//! release) and a package NEVRA (`python3.9-0:3.9.18-3.el9_4.5.src`) through
//! `product_tree.relationships`. Source rpms (`.src`) in `product_status.fixed` become
//! "affected below this version" rows for the main `enterprise_linux:N` products;
//! `known_not_affected` rows never match; `known_affected` (VEX) rows match every
//! version. Module builds (`name:stream:version:context:` before the NEVRA) keep their
//! stream.

use std::collections::{BTreeSet, HashMap};

use hull_model::{Advisory, Affected, FixState, Namespace, Severity, VersionRule};

use super::redhat_api::{rhel_major, split_nevr};
use super::{syntax, FeedError, Format, Parsed, Skipped};

const ARCHES: &[&str] = &[
    "src", "noarch", "x86_64", "aarch64", "ppc64le", "s390x", "i686", "i386", "ppc64",
];

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| syntax(file, Format::RedHatCsaf, e))?;
    let document = doc
        .get("document")
        .ok_or_else(|| syntax(file, Format::RedHatCsaf, "no `document`"))?;
    let id = document
        .get("tracking")
        .and_then(|t| t.get("id"))
        .and_then(|i| i.as_str())
        .ok_or_else(|| syntax(file, Format::RedHatCsaf, "no `document.tracking.id`"))?
        .to_string();
    let mut out = Parsed {
        source_hint: Some("redhat-csaf".into()),
        ..Parsed::default()
    };
    // product name -> RHEL major (main releases only)
    let mut product_major: HashMap<String, String> = HashMap::new();
    if let Some(pt) = doc.get("product_tree") {
        collect_products(pt, &mut product_major, 0);
    }
    // full product id -> (product, package reference)
    let mut rel: HashMap<String, (String, String)> = HashMap::new();
    for r in doc
        .get("product_tree")
        .and_then(|p| p.get("relationships"))
        .and_then(|r| r.as_array())
        .into_iter()
        .flatten()
    {
        let pid = r
            .get("full_product_name")
            .and_then(|f| f.get("product_id"))
            .and_then(|p| p.as_str());
        let prod = r
            .get("relates_to_product_reference")
            .and_then(|p| p.as_str());
        let pkg = r.get("product_reference").and_then(|p| p.as_str());
        if let (Some(pid), Some(prod), Some(pkg)) = (pid, prod, pkg) {
            rel.insert(pid.to_string(), (prod.to_string(), pkg.to_string()));
        }
    }
    let severity = document
        .get("aggregate_severity")
        .and_then(|a| a.get("text"))
        .and_then(|t| t.as_str())
        .and_then(|t| t.parse().ok())
        .unwrap_or(Severity::Unknown);
    let mut aliases = Vec::new();
    let mut affected = Vec::new();
    let mut seen = BTreeSet::new();
    for v in doc
        .get("vulnerabilities")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(cve) = v.get("cve").and_then(|c| c.as_str()) {
            aliases.push(cve.to_string());
        }
        let Some(status) = v.get("product_status") else {
            continue;
        };
        for (key, state) in [
            ("fixed", "fixed"),
            ("known_not_affected", "not-affected"),
            ("known_affected", "affected"),
        ] {
            for pid in status
                .get(key)
                .and_then(|l| l.as_array())
                .into_iter()
                .flatten()
                .filter_map(|p| p.as_str())
            {
                let Some((prod, pkg)) = rel.get(pid) else {
                    continue; // a product without a package (whole product fixed)
                };
                let Some(major) = product_major.get(prod) else {
                    continue; // EUS/AUS/… or another product
                };
                let (module, nevra) = split_module(pkg);
                let Some((name, evr, arch)) = split_nevra(nevra) else {
                    out.skipped.push(Skipped {
                        file: file.to_string(),
                        record: format!("{id} {pid}"),
                        reason: "product reference is not a package NEVRA".into(),
                    });
                    continue;
                };
                // Source packages carry the source name hull matches on; binary
                // rows would repeat them.
                if arch != "src" && state == "fixed" {
                    continue;
                }
                let (rule, fix) = match state {
                    "fixed" => (
                        VersionRule::LessThan {
                            fixed: evr.to_string(),
                        },
                        FixState::Fixed(evr.to_string()),
                    ),
                    "not-affected" => (VersionRule::Unaffected, FixState::NotAffected),
                    _ => (VersionRule::All, FixState::NotFixed),
                };
                let key = (
                    major.clone(),
                    name.to_string(),
                    format!("{rule:?}"),
                    module.clone(),
                );
                if !seen.insert(key) {
                    continue;
                }
                affected.push(Affected {
                    module,
                    ..Affected::new(Namespace::distro("rhel", major), name, rule, fix)
                });
            }
        }
    }
    aliases.sort();
    aliases.dedup();
    aliases.retain(|a| a != &id);
    if !affected.is_empty() {
        out.advisories.push(Advisory {
            id,
            source: "redhat-csaf".into(),
            aliases,
            summary: document
                .get("title")
                .and_then(|t| t.as_str())
                .map(str::to_string),
            severity,
            published: document
                .get("tracking")
                .and_then(|t| t.get("initial_release_date"))
                .and_then(|d| d.as_str())
                .map(str::to_string),
            modified: document
                .get("tracking")
                .and_then(|t| t.get("current_release_date"))
                .and_then(|d| d.as_str())
                .map(str::to_string),
            affected,
            ..Default::default()
        });
    }
    Ok(out)
}

fn collect_products(node: &serde_json::Value, out: &mut HashMap<String, String>, depth: usize) {
    if depth > 16 {
        return; // product trees are a few levels deep; bound hostile nesting
    }
    for b in node
        .get("branches")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
    {
        if let Some(p) = b.get("product") {
            let pid = p.get("product_id").and_then(|x| x.as_str());
            let cpe = p
                .get("product_identification_helper")
                .and_then(|h| h.get("cpe"))
                .and_then(|c| c.as_str());
            if let (Some(pid), Some(major)) = (pid, cpe.and_then(rhel_major)) {
                out.insert(pid.to_string(), major.to_string());
            }
        }
        collect_products(b, out, depth + 1);
    }
}

/// `nodejs:12:8010020191114174016:98d70fa9:nodejs-1:12.13.1-1.module+el8.x86_64` ->
/// (`Some("nodejs:12")`, `nodejs-1:12.13.1-1.module+el8.x86_64`).
fn split_module(pkg: &str) -> (Option<String>, &str) {
    let parts: Vec<&str> = pkg.splitn(5, ':').collect();
    if let [name, stream, version, _context, rest] = parts.as_slice() {
        if version.len() >= 10 && version.chars().all(|c| c.is_ascii_digit()) {
            return (Some(format!("{name}:{stream}")), rest);
        }
    }
    (None, pkg)
}

/// `python3.9-0:3.9.18-3.el9_4.5.src` -> (`python3.9`, `0:3.9.18-3.el9_4.5`, `src`).
fn split_nevra(s: &str) -> Option<(&str, &str, &str)> {
    let (nevr, arch) = s.rsplit_once('.')?;
    if !ARCHES.contains(&arch) {
        return None;
    }
    let (name, evr) = split_nevr(nevr)?;
    Some((name, evr, arch))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csaf_fixed_source_packages() {
        let j = r#"{"document":{"title":"python3.9 update","tracking":{"id":"RHSA-2024:6163"},"aggregate_severity":{"text":"Moderate"}},
          "product_tree":{"branches":[{"category":"vendor","name":"Red Hat","branches":[{"category":"product_family","name":"RHEL","branches":[
            {"category":"product_name","name":"AppStream","product":{"name":"x","product_id":"AppStream-9.4.0.Z.MAIN.EUS","product_identification_helper":{"cpe":"cpe:/a:redhat:enterprise_linux:9::appstream"}}},
            {"category":"product_name","name":"EUS","product":{"name":"y","product_id":"EUS-9.2","product_identification_helper":{"cpe":"cpe:/a:redhat:rhel_eus:9.2::appstream"}}}]}]}],
          "relationships":[
            {"full_product_name":{"product_id":"AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.src"},"product_reference":"python3.9-0:3.9.18-3.el9_4.5.src","relates_to_product_reference":"AppStream-9.4.0.Z.MAIN.EUS"},
            {"full_product_name":{"product_id":"AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.x86_64"},"product_reference":"python3.9-0:3.9.18-3.el9_4.5.x86_64","relates_to_product_reference":"AppStream-9.4.0.Z.MAIN.EUS"},
            {"full_product_name":{"product_id":"EUS-9.2:python3.9-0:3.9.16-1.el9_2.src"},"product_reference":"python3.9-0:3.9.16-1.el9_2.src","relates_to_product_reference":"EUS-9.2"}]},
          "vulnerabilities":[{"cve":"CVE-2024-8088","product_status":{"fixed":[
            "AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.src","AppStream-9.4.0.Z.MAIN.EUS:python3.9-0:3.9.18-3.el9_4.5.x86_64","EUS-9.2:python3.9-0:3.9.16-1.el9_2.src"]}}]}"#;
        let p = parse("t", j).unwrap();
        let a = &p.advisories[0];
        assert_eq!(a.id, "RHSA-2024:6163");
        assert_eq!(a.aliases, vec!["CVE-2024-8088"]);
        assert_eq!(a.severity, Severity::Medium);
        assert_eq!(a.affected.len(), 1);
        assert_eq!(a.affected[0].package, "python3.9");
        assert_eq!(a.affected[0].namespace.as_str(), "rhel:9");
        assert_eq!(
            a.affected[0].rule,
            VersionRule::LessThan {
                fixed: "0:3.9.18-3.el9_4.5".into()
            }
        );
        assert_eq!(
            split_module(
                "nodejs:12:8010020191114174016:98d70fa9:nodejs-1:12.13.1-1.module+el8.x86_64"
            )
            .0
            .as_deref(),
            Some("nodejs:12")
        );
        assert!(parse("t", "{\"document\":{}}").is_err());
    }
}
