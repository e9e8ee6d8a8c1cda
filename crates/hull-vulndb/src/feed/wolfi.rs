//! Wolfi and Chainguard OS security data (`https://packages.wolfi.dev/os/security.json`,
//! `https://packages.cgr.dev/chainguard/security.json`).
//!
//! The same secdb shape as Alpine's (`packages[].pkg.secfixes`: fixed apk version ->
//! ids, `0` for "never affected"), read by [`super::alpine`], but without
//! `distroversion`: both are rolling distributions with one release, named here by the
//! document's `urlprefix`. Versions compare in apk order (`_p`, `-r`), like Alpine's.

use hull_model::Namespace;

/// The namespace and source name of a Wolfi or Chainguard secdb document.
pub fn namespace_of(doc: &serde_json::Value) -> Option<(Namespace, &'static str)> {
    let prefix = doc.get("urlprefix")?.as_str()?;
    let host = prefix
        .trim_start_matches("https://")
        .trim_start_matches("http://")
        .split('/')
        .next()?;
    match host {
        "packages.wolfi.dev" => Some((Namespace::distro("wolfi", "rolling"), "wolfi-secdb")),
        "packages.cgr.dev" => Some((
            Namespace::distro("chainguard", "rolling"),
            "chainguard-secdb",
        )),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use crate::feed::{detect, parse, Format};
    use hull_model::{FixState, VersionRule};

    #[test]
    fn wolfi_security_json() {
        let j = br#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64","aarch64"],
          "reponame":"os","urlprefix":"https://packages.wolfi.dev","packages":[
          {"pkg":{"name":"openssh","secfixes":{"0":["CVE-2007-2768"],"9.6_p1-r1":["CVE-2023-51385"]}}}]}"#;
        assert_eq!(detect("security.json", j), Some(Format::AlpineJson));
        let p = parse(Format::AlpineJson, "security.json", j).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("wolfi-secdb"));
        assert_eq!(p.advisories.len(), 2);
        let fixed = p
            .advisories
            .iter()
            .find(|a| a.id == "openssh@9.6_p1-r1")
            .unwrap();
        assert_eq!(fixed.source, "wolfi-secdb");
        assert_eq!(fixed.affected[0].namespace.as_str(), "wolfi:rolling");
        assert_eq!(
            fixed.affected[0].rule,
            VersionRule::LessThan {
                fixed: "9.6_p1-r1".into()
            }
        );
        let never = p.advisories.iter().find(|a| a.id == "openssh@0").unwrap();
        assert_eq!(never.affected[0].fix, FixState::NotAffected);
        let cg =
            br#"{"urlprefix":"https://packages.cgr.dev","reponame":"chainguard","packages":[]}"#;
        let p = parse(Format::AlpineJson, "security.json", cg).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("chainguard-secdb"));
        let other = br#"{"urlprefix":"https://example.org","packages":[]}"#;
        assert!(parse(Format::AlpineJson, "x.json", other).is_err());
    }
}
