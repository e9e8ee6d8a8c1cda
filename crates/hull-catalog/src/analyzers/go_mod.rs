//! `go-mod`: `go.mod` files (<https://go.dev/ref/mod#go-mod-file>): `require` lines, in
//! single and block form, with `// indirect` kept as the property `go.indirect`, and
//! `replace` directives applied (a replacement by a module path and version changes the
//! package; a replacement by a local directory keeps the name and drops the version).
//! A `require` of a version that an `exclude` directive names is ignored, as the `go`
//! command (≥ 1.16) ignores it, with a warning.
//! The module itself is the application, not a dependency, and is not reported.
//! A `go.mod` in the module cache (`pkg/mod/`) describes a dependency's own requirements,
//! which are not what the binary was built with, so those are not wanted.

use std::collections::BTreeMap;

use hull_model::{Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "go-mod",
    wants,
    parse,
};

const MAX_SIZE: u64 = 4 << 20;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE
        && path.file_name() == "go.mod"
        && !path.as_str().contains("pkg/mod/")
        && !path.components().any(|c| c == "vendor")
}

#[derive(Debug, Default, PartialEq)]
pub struct GoMod {
    pub module: Option<String>,
    /// (path, version, indirect)
    pub require: Vec<(String, String, bool)>,
    /// (old path, old version or "") -> (new path, new version or "")
    pub replace: Vec<((String, String), (String, String))>,
    /// (path, version) excluded by `exclude` directives.
    pub exclude: Vec<(String, String)>,
}

/// Split a line into tokens: bare words and Go strings (`"..."` or `` `...` ``);
/// a `//` comment ends the line and is returned separately.
fn tokens(line: &str) -> (Vec<String>, &str) {
    let mut out = Vec::new();
    let mut rest = line.trim_start();
    loop {
        if rest.is_empty() {
            return (out, "");
        }
        if let Some(c) = rest.strip_prefix("//") {
            return (out, c.trim());
        }
        let (tok, next) = if let Some(r) = rest.strip_prefix('"') {
            match r.find('"') {
                Some(i) => (r[..i].to_string(), &r[i + 1..]),
                None => (r.to_string(), ""),
            }
        } else if let Some(r) = rest.strip_prefix('`') {
            match r.find('`') {
                Some(i) => (r[..i].to_string(), &r[i + 1..]),
                None => (r.to_string(), ""),
            }
        } else {
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .map(|i| if i == 0 { 1 } else { i })
                .unwrap_or(rest.len());
            (rest[..end].to_string(), &rest[end..])
        };
        out.push(tok);
        rest = next.trim_start();
    }
}

pub fn parse_go_mod(text: &str) -> GoMod {
    let mut m = GoMod::default();
    let mut block: Option<String> = None;
    for raw in text.lines() {
        let (toks, comment) = tokens(raw);
        if toks.is_empty() {
            continue;
        }
        let (verb, args): (String, &[String]) = match &block {
            Some(b) => {
                if toks[0] == ")" {
                    block = None;
                    continue;
                }
                (b.clone(), &toks[..])
            }
            None => {
                if toks.len() >= 2 && toks[1] == "(" {
                    block = Some(toks[0].clone());
                    continue;
                }
                (toks[0].clone(), &toks[1..])
            }
        };
        let indirect = comment.split(';').any(|c| c.trim() == "indirect");
        match verb.as_str() {
            "module" => m.module = args.first().cloned(),
            "require" if args.len() >= 2 => {
                m.require.push((args[0].clone(), args[1].clone(), indirect))
            }
            "exclude" if args.len() >= 2 => m.exclude.push((args[0].clone(), args[1].clone())),
            "replace" => {
                if let Some(arrow) = args.iter().position(|a| a == "=>") {
                    let (l, r) = (&args[..arrow], &args[arrow + 1..]);
                    if let (Some(lp), Some(rp)) = (l.first(), r.first()) {
                        m.replace.push((
                            (lp.clone(), l.get(1).cloned().unwrap_or_default()),
                            (rp.clone(), r.get(1).cloned().unwrap_or_default()),
                        ));
                    }
                }
            }
            _ => {}
        }
    }
    m
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = lang::text(input.path, input.data)?;
    let m = parse_go_mod(text);
    if m.module.is_none() && m.require.is_empty() {
        return Err(lang::malformed(
            input.path,
            "no module or require directive",
        ));
    }
    // A versioned replace applies to that version only; an unversioned one to all.
    let mut exact = BTreeMap::new();
    let mut any = BTreeMap::new();
    for ((old, old_v), new) in &m.replace {
        if old_v.is_empty() {
            any.insert(old.clone(), new.clone());
        } else {
            exact.insert((old.clone(), old_v.clone()), new.clone());
        }
    }
    let mut found = Found::default();
    for (path, version, indirect) in &m.require {
        // Go ≥ 1.16 ignores a requirement on a version the main module excludes.
        if m.exclude.iter().any(|(p, v)| p == path && v == version) {
            found.warnings.push(format!(
                "{}: requirement {path} {version} is excluded by an `exclude` directive; not reported",
                input.path
            ));
            continue;
        }
        let repl = exact
            .get(&(path.clone(), version.clone()))
            .or_else(|| any.get(path));
        let (name, ver, note) = match repl {
            Some((np, _)) if np.starts_with(['.', '/']) => (
                path.clone(),
                String::new(),
                Some(("go.replaced-by", np.clone())),
            ),
            Some((np, nv)) => (
                np.clone(),
                nv.clone(),
                Some(("go.replaces", format!("{path} {version}"))),
            ),
            None => (path.clone(), version.clone(), None),
        };
        let (ns, base) = match name.rsplit_once('/') {
            Some((ns, b)) => (Some(ns), b),
            None => (None, name.as_str()),
        };
        let purl = Purl::new("golang", ns, base, lang::purl_version(&ver), &[]);
        let mut p = lang::package(
            Ecosystem::Go,
            &name,
            &ver,
            purl,
            input.path.clone(),
            ANALYZER.id,
        );
        if *indirect {
            p.properties
                .insert("go.indirect".to_string(), "true".to_string());
        }
        if let Some((k, v)) = note {
            p.properties.insert(k.to_string(), v);
        }
        if let Some(module) = &m.module {
            p.properties
                .insert("go.main-path".to_string(), module.clone());
        }
        found.packages.push(p);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOMOD: &str = r#"module example.com/go-demo

go 1.19

require github.com/dgrijalva/jwt-go v3.2.0+incompatible

require (
	golang.org/x/net v0.7.0 // indirect
	"golang.org/x/text" v0.3.0
	example.com/old v1.0.0
	example.com/local v0.1.0 // indirect; some note
)

replace example.com/old v1.0.0 => example.com/new v1.1.0
replace (
	example.com/local => ../local
)
exclude golang.org/x/net v0.6.0
"#;

    #[test]
    fn parses_directives() {
        let m = parse_go_mod(GOMOD);
        assert_eq!(m.module.as_deref(), Some("example.com/go-demo"));
        assert_eq!(m.require.len(), 5);
        assert_eq!(
            m.require[1],
            ("golang.org/x/net".to_string(), "v0.7.0".to_string(), true)
        );
        assert_eq!(m.require[2].0, "golang.org/x/text");
        assert!(m.require[4].2);
        assert_eq!(m.replace.len(), 2);
    }

    #[test]
    fn packages_with_replacements() {
        let path = ImagePath::new("app/go.mod").unwrap();
        let found = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: GOMOD.as_bytes(),
        })
        .unwrap();
        let got: Vec<_> = found
            .packages
            .iter()
            .map(|p| format!("{} {}", p.purl, p.properties.contains_key("go.indirect")))
            .collect();
        assert_eq!(
            got,
            [
                "pkg:golang/github.com/dgrijalva/jwt-go@v3.2.0%2Bincompatible false",
                "pkg:golang/golang.org/x/net@v0.7.0 true",
                "pkg:golang/golang.org/x/text@v0.3.0 false",
                "pkg:golang/example.com/new@v1.1.0 false",
                "pkg:golang/example.com/local true",
            ]
        );
        assert!(parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: b"hello",
        })
        .is_err());
    }

    #[test]
    fn excluded_requirements_are_ignored() {
        let data = std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../fuzz/corpus/catalog_go_mod/exclude"),
        )
        .unwrap();
        let path = ImagePath::new("app/go.mod").unwrap();
        let found = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: &data,
        })
        .unwrap();
        let got: Vec<_> = found.packages.iter().map(|p| p.purl.to_string()).collect();
        assert_eq!(
            got,
            [
                "pkg:golang/golang.org/x/crypto@v0.17.0",
                "pkg:golang/golang.org/x/text@v0.14.0"
            ]
        );
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
        assert!(found.warnings[0].contains("github.com/gorilla/websocket v1.4.0"));
    }

    #[test]
    fn wants_project_go_mod_only() {
        for (p, want) in [
            ("app/go.mod", true),
            ("root/go/pkg/mod/golang.org/x/net@v0.7.0/go.mod", false),
            ("app/vendor/x/go.mod", false),
            ("app/go.sum", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 10), want, "{p}");
        }
    }
}
