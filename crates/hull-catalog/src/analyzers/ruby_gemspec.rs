//! `ruby-gemspec`: installed gem specifications (`…/specifications/NAME-VERSION.gemspec`),
//! the Ruby files RubyGems writes with `Gem::Specification#to_ruby` on install.
//!
//! They are Ruby code, but generated code of a fixed shape, so they are read line by
//! line, never evaluated: the block variable from `Gem::Specification.new do |s|`, then
//! `s.name = "rake".freeze`, `s.version = "13.0.6"`, `s.licenses = ["MIT".freeze]`
//! (string literals `"…"`, `'…'` and old `%q{…}`). The `# stub: NAME VERSION …` header
//! line is the fallback when the block lacks a field.

use hull_model::{Ecosystem, ImagePath, Purl};

use super::lang;
use crate::{AnalyzeError, Analyzer, FileInput, Found};

pub const ANALYZER: Analyzer = Analyzer {
    id: "ruby-gemspec",
    wants,
    parse,
};

const MAX_SIZE: u64 = 1 << 20;

fn wants(path: &ImagePath, _mode: u32, size: u64) -> bool {
    size <= MAX_SIZE
        && path.file_name().ends_with(".gemspec")
        && path
            .parent()
            .is_some_and(|p| p.file_name() == "specifications")
}

#[derive(Debug, Default, PartialEq)]
pub struct Spec {
    pub name: Option<String>,
    pub version: Option<String>,
    pub licenses: Vec<String>,
}

/// Every string literal in `s`, in order.
fn string_literals(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find(['"', '\'', '%']) {
        let (open, after) = rest[i..].split_at(1);
        let close = match open {
            "\"" => Some(('"', after)),
            "'" => Some(('\'', after)),
            _ => match after.get(..2) {
                Some("q{") | Some("Q{") => Some(('}', &after[2..])),
                Some("q(") | Some("Q(") => Some((')', &after[2..])),
                _ => None,
            },
        };
        let Some((close, body)) = close else {
            rest = after;
            continue;
        };
        match body.find(close) {
            Some(end) => {
                out.push(body[..end].to_string());
                rest = &body[end + 1..];
            }
            None => break,
        }
    }
    out
}

pub fn parse_gemspec(text: &str) -> Spec {
    let mut spec = Spec::default();
    let mut var: Option<String> = None;
    let mut stub: Option<(String, String)> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(rest) = t.strip_prefix("# stub:") {
            let mut f = rest.split_whitespace();
            if let (Some(n), Some(v)) = (f.next(), f.next()) {
                stub = Some((n.to_string(), v.to_string()));
            }
            continue;
        }
        if t.starts_with('#') {
            continue;
        }
        if var.is_none() {
            if let Some(i) = t.find("Gem::Specification.new") {
                let tail = &t[i..];
                if let Some(v) = tail
                    .split_once('|')
                    .and_then(|(_, r)| r.split_once('|'))
                    .map(|(v, _)| v.trim())
                    .filter(|v| !v.is_empty())
                {
                    var = Some(v.to_string());
                }
                // `Gem::Specification.new "name", "1.0" do |s|`
                let args = string_literals(tail.split(" do").next().unwrap_or(""));
                if let [n, v, ..] = args.as_slice() {
                    spec.name = Some(n.clone());
                    spec.version = Some(v.clone());
                }
            }
            continue;
        }
        let Some(v) = var.as_deref() else { continue };
        let Some(assign) = t.strip_prefix(v).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((field, value)) = assign.split_once('=') else {
            continue;
        };
        let lits = string_literals(value);
        match field.trim() {
            "name" if spec.name.is_none() => spec.name = lits.into_iter().next(),
            "version" if spec.version.is_none() => spec.version = lits.into_iter().next(),
            "license" | "licenses" => spec.licenses.extend(lits),
            _ => {}
        }
    }
    if let Some((n, v)) = stub {
        spec.name.get_or_insert(n);
        spec.version.get_or_insert(v);
    }
    spec
}

fn parse(input: &FileInput<'_>) -> Result<Found, AnalyzeError> {
    lang::check_size(input.path, input.data, MAX_SIZE)?;
    let text = String::from_utf8_lossy(input.data);
    let spec = parse_gemspec(&text);
    let (Some(name), Some(version)) = (spec.name, spec.version) else {
        return Err(lang::malformed(input.path, "no gem name or version"));
    };
    if name.is_empty() || version.is_empty() {
        return Err(lang::malformed(input.path, "empty gem name or version"));
    }
    let purl = Purl::new("gem", None, &name, Some(&version), &[]);
    let mut p = lang::package(
        Ecosystem::Rubygems,
        &name,
        &version,
        purl,
        input.path.clone(),
        ANALYZER.id,
    );
    p.licenses = spec.licenses;
    Ok(Found {
        packages: vec![p],
        ..Found::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const RAKE: &str = r#"# -*- encoding: utf-8 -*-
# stub: rake 13.0.6 ruby lib

Gem::Specification.new do |s|
  s.name = "rake".freeze
  s.version = "13.0.6"

  s.required_rubygems_version = Gem::Requirement.new(">= 1.3.2".freeze) if s.respond_to? :required_rubygems_version=
  s.licenses = ["MIT".freeze]
  s.summary = "Rake is a Make-like program".freeze
end
"#;

    const OLD: &str = r#"Gem::Specification.new do |spec|
  spec.name = %q{json_pure}
  spec.version = "1.4.6"
  spec.license = 'Ruby'
end
"#;

    #[test]
    fn gemspec_table() {
        for (text, name, version, lic) in [
            (RAKE, Some("rake"), Some("13.0.6"), vec!["MIT"]),
            (OLD, Some("json_pure"), Some("1.4.6"), vec!["Ruby"]),
            ("# stub: x 1.0 ruby lib\n", Some("x"), Some("1.0"), vec![]),
            (
                "Gem::Specification.new \"y\", \"2.0\" do |s|\nend\n",
                Some("y"),
                Some("2.0"),
                vec![],
            ),
            ("puts 1\n", None, None, vec![]),
            (
                "Gem::Specification.new do |s|\n s.name = \"unterminated\n",
                None,
                None,
                vec![],
            ),
        ] {
            let s = parse_gemspec(text);
            assert_eq!(s.name.as_deref(), name, "{text}");
            assert_eq!(s.version.as_deref(), version, "{text}");
            assert_eq!(s.licenses, lic, "{text}");
        }
    }

    #[test]
    fn wants_installed_specs() {
        for (p, want) in [
            (
                "usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec",
                true,
            ),
            (
                "usr/share/rubygems-integration/all/specifications/x-1.gemspec",
                true,
            ),
            ("app/x.gemspec", false),
        ] {
            assert_eq!(wants(&ImagePath::new(p).unwrap(), 0o644, 10), want, "{p}");
        }
        let path = ImagePath::new("a/specifications/rake-13.0.6.gemspec").unwrap();
        let f = parse(&FileInput {
            path: &path,
            mode: 0o644,
            data: RAKE.as_bytes(),
        })
        .unwrap();
        assert_eq!(f.packages[0].purl.as_str(), "pkg:gem/rake@13.0.6");
    }
}
