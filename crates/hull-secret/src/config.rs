//! Custom rules from a `--secret-config` YAML file (format in `docs/secrets.md`):
//!
//! ```yaml
//! rules:
//!   - id: acme-api-key          # kebab-case, unique, not a built-in id
//!     title: Acme API key
//!     severity: high            # low | medium | high | critical
//!     keywords: [acme_]         # one must be in the file (as written, lower, UPPER, Capitalized)
//!     regex: '\bacme_[a-z0-9]{32}\b'
//!     secret-group: 0           # optional: capture group number or name holding the secret
//!     paths: ['\.conf$']        # optional: only files whose path matches one of these
//!     keep: 5                   # optional: leading characters left unmasked
//!     allow:
//!       regexes: ['acme_0{32}'] # matches against the secret: not a finding
//!       paths: ['^usr/share/']
//! disable: [generic-password]   # built-in rules to turn off
//! allow:                        # for every rule
//!   paths: ['^app/tests/']
//!   regexes: ['^dev-only-']
//! ```
//!
//! Every error names `origin:line` (serde_yaml locates syntax and type errors; for a
//! rule that parses but is invalid, the line of the offending field of that rule).

use regex::bytes::{Regex, RegexBuilder};
use serde::Deserialize;

use crate::scan::{builtin_rules, Filter, Group, Rule};
use crate::RuleInfo;

/// A `--secret-config` file that cannot be used; displays as `origin:line: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// Not YAML, or not the documented shape (unknown field, wrong type).
    #[error("{origin}:{line}: {message}")]
    Syntax {
        origin: String,
        line: usize,
        message: String,
    },
    /// A rule or setting that parses but cannot be used (bad regex, duplicate id…).
    #[error("{origin}:{line}: {message}")]
    Invalid {
        origin: String,
        line: usize,
        message: String,
    },
}

impl ConfigError {
    pub fn line(&self) -> usize {
        match self {
            ConfigError::Syntax { line, .. } | ConfigError::Invalid { line, .. } => *line,
        }
    }
}

/// Largest compiled custom regex (bytes): a pattern that needs more is refused.
const REGEX_SIZE_LIMIT: usize = 1 << 20;
const MAX_RULES: usize = 1000;
const MAX_KEYWORDS: usize = 64;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    rules: Vec<RuleDoc>,
    #[serde(default)]
    disable: Vec<String>,
    #[serde(default)]
    allow: AllowDoc,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RuleDoc {
    id: String,
    title: String,
    severity: String,
    #[serde(default)]
    keywords: Vec<String>,
    regex: String,
    #[serde(default)]
    secret_group: Option<GroupDoc>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(default)]
    keep: usize,
    #[serde(default)]
    allow: AllowDoc,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum GroupDoc {
    Index(usize),
    Name(String),
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct AllowDoc {
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
}

/// A parsed, validated config.
pub(crate) struct Config {
    pub rules: Vec<Rule>,
    pub disable: Vec<String>,
    pub allow_paths: Vec<Regex>,
    pub allow_values: Vec<Regex>,
}

/// Kebab-case: lowercase ASCII words of letters and digits joined by single `-`.
pub(crate) fn kebab(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.split('-').all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
}

pub(crate) fn parse(yaml: &str, origin: &str) -> Result<Config, ConfigError> {
    let file: File = if yaml.trim().is_empty() {
        File::default()
    } else {
        serde_yaml::from_str(yaml).map_err(|e| {
            // An error at the end of input is placed on the last line, not past it.
            let last = yaml.lines().count().max(1);
            let line = e.location().map_or(1, |l| l.line()).min(last);
            let mut message = e.to_string();
            // serde_yaml appends the location the error already carries.
            if let Some(i) = message.find(" at line ") {
                message.truncate(i);
            }
            ConfigError::Syntax {
                origin: origin.into(),
                line,
                message,
            }
        })?
    };
    let loc = Locator::new(yaml);
    let invalid = |line: usize, message: String| ConfigError::Invalid {
        origin: origin.into(),
        line,
        message,
    };
    if file.rules.len() > MAX_RULES {
        return Err(invalid(
            loc.key("rules"),
            format!("more than {MAX_RULES} rules"),
        ));
    }
    let builtin: Vec<String> = builtin_rules().into_iter().map(|r| r.info.id).collect();
    for id in &file.disable {
        if !builtin.contains(id) {
            return Err(invalid(
                loc.value_line("disable", id),
                format!("`disable`: `{id}` is not a built-in rule id"),
            ));
        }
    }
    let compile = |pattern: &str, line: usize, what: &str| {
        RegexBuilder::new(pattern)
            .size_limit(REGEX_SIZE_LIMIT)
            .dfa_size_limit(4 * REGEX_SIZE_LIMIT)
            .build()
            .map_err(|e| {
                let e = e.to_string();
                let first = e
                    .lines()
                    .rev()
                    .find(|l| l.starts_with("error:"))
                    .unwrap_or(&e);
                invalid(line, format!("{what}: invalid regex: {}", first.trim()))
            })
    };
    let allow_paths = file
        .allow
        .paths
        .iter()
        .map(|p| compile(p, loc.key("allow"), "allow.paths"))
        .collect::<Result<_, _>>()?;
    let allow_values = file
        .allow
        .regexes
        .iter()
        .map(|p| compile(p, loc.key("allow"), "allow.regexes"))
        .collect::<Result<_, _>>()?;

    let mut rules: Vec<Rule> = Vec::new();
    for (i, doc) in file.rules.into_iter().enumerate() {
        let at = |field: &str| loc.rule_field(i, field);
        let id = doc.id.trim().to_string();
        if !kebab(&id) {
            return Err(invalid(
                at("id"),
                format!("rule id `{id}` is not kebab-case (lowercase words joined by `-`)"),
            ));
        }
        if builtin.contains(&id) {
            return Err(invalid(
                at("id"),
                format!("rule id `{id}` is a built-in rule; pick another id (and `disable` `{id}` to replace it)"),
            ));
        }
        if rules.iter().any(|r| r.info.id == id) {
            return Err(invalid(at("id"), format!("duplicate rule id `{id}`")));
        }
        if doc.title.trim().is_empty() {
            return Err(invalid(at("title"), format!("rule `{id}`: empty title")));
        }
        let severity: hull_model::Severity = doc
            .severity
            .parse()
            .ok()
            .filter(|s| *s >= hull_model::Severity::Low)
            .ok_or_else(|| {
                invalid(
                    at("severity"),
                    format!(
                        "rule `{id}`: severity `{}` is not one of low, medium, high, critical",
                        doc.severity
                    ),
                )
            })?;
        if doc.keywords.len() > MAX_KEYWORDS {
            return Err(invalid(
                at("keywords"),
                format!("rule `{id}`: more than {MAX_KEYWORDS} keywords"),
            ));
        }
        if let Some(k) = doc.keywords.iter().find(|k| k.is_empty() || k.len() > 64) {
            return Err(invalid(
                at("keywords"),
                format!("rule `{id}`: keyword `{k}` must be 1 to 64 bytes"),
            ));
        }
        let regex = compile(&doc.regex, at("regex"), &format!("rule `{id}`"))?;
        if regex.is_match(b"") {
            return Err(invalid(
                at("regex"),
                format!("rule `{id}`: the regex matches the empty string"),
            ));
        }
        let group = match doc.secret_group {
            Some(GroupDoc::Index(n)) if n < regex.captures_len() => Group::Index(n),
            Some(GroupDoc::Name(n)) if regex.capture_names().any(|c| c == Some(n.as_str())) => {
                Group::Name(n)
            }
            Some(GroupDoc::Index(n)) => {
                return Err(invalid(
                    at("secret-group"),
                    format!("rule `{id}`: the regex has no capture group {n}"),
                ))
            }
            Some(GroupDoc::Name(n)) => {
                return Err(invalid(
                    at("secret-group"),
                    format!("rule `{id}`: the regex has no capture group named `{n}`"),
                ))
            }
            None if regex.capture_names().any(|c| c == Some("secret")) => {
                Group::Name("secret".into())
            }
            None if regex.captures_len() > 1 => Group::Index(1),
            None => Group::Index(0),
        };
        let paths = doc
            .paths
            .iter()
            .map(|p| compile(p, at("paths"), &format!("rule `{id}` paths")))
            .collect::<Result<_, _>>()?;
        let allow_v = doc
            .allow
            .regexes
            .iter()
            .map(|p| compile(p, at("allow"), &format!("rule `{id}` allow.regexes")))
            .collect::<Result<_, _>>()?;
        let allow_p = doc
            .allow
            .paths
            .iter()
            .map(|p| compile(p, at("allow"), &format!("rule `{id}` allow.paths")))
            .collect::<Result<_, _>>()?;
        rules.push(Rule {
            info: RuleInfo {
                id,
                title: doc.title.trim().into(),
                severity,
                keywords: doc.keywords.clone(),
                description: format!("custom rule from {origin}"),
                builtin: false,
            },
            regex,
            group,
            filter: Filter::Paths(paths),
            requires: None,
            keep: doc.keep,
            verify: None,
            allow_values: allow_v,
            allow_paths: allow_p,
            max_matches: usize::MAX,
            keywords: doc.keywords,
            exact: Vec::new(),
        });
    }
    Ok(Config {
        rules,
        disable: file.disable,
        allow_paths,
        allow_values,
    })
}

/// Finds lines in the YAML text for errors serde_yaml cannot place: the line of a
/// top-level key, of the n-th item of `rules:`, of a field inside that item. Block
/// style is located precisely; anything it cannot place falls back to the item's (or
/// the key's) line, never to no line.
struct Locator<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Locator<'a> {
    fn new(yaml: &'a str) -> Self {
        Locator {
            lines: yaml.lines().collect(),
        }
    }

    fn indent(l: &str) -> usize {
        l.len() - l.trim_start().len()
    }

    fn is_key(l: &str, key: &str) -> bool {
        let t = l.trim_start().trim_start_matches("- ").trim_start();
        t.strip_prefix(key)
            .is_some_and(|r| r.trim_start().starts_with(':'))
            || t.strip_prefix(&format!("\"{key}\""))
                .is_some_and(|r| r.trim_start().starts_with(':'))
    }

    /// 1-based line of a top-level `key:` (1 when absent).
    fn key(&self, key: &str) -> usize {
        self.lines
            .iter()
            .position(|l| Self::indent(l) == 0 && Self::is_key(l, key))
            .map_or(1, |i| i + 1)
    }

    /// The line under top-level `key` that names `value` (a `disable` list item).
    fn value_line(&self, key: &str, value: &str) -> usize {
        let start = self.key(key) - 1;
        for (i, l) in self.lines.iter().enumerate().skip(start) {
            if i > start && Self::indent(l) == 0 && !l.trim().is_empty() && !l.starts_with('-') {
                break;
            }
            if l.contains(value) {
                return i + 1;
            }
        }
        start + 1
    }

    /// 0-based line range of the n-th item of top-level `rules:`.
    fn rule_item(&self, n: usize) -> Option<(usize, usize)> {
        let start = self.key("rules") - 1;
        if !self
            .lines
            .get(start)
            .is_some_and(|l| Self::is_key(l, "rules"))
        {
            return None;
        }
        let mut items = Vec::new();
        let mut item_indent = None;
        let mut end = self.lines.len();
        for (i, l) in self.lines.iter().enumerate().skip(start + 1) {
            let t = l.trim_start();
            if t.is_empty() || t.starts_with('#') {
                continue;
            }
            let ind = Self::indent(l);
            if ind == 0 && !t.starts_with('-') {
                end = i;
                break;
            }
            if t.starts_with("- ") || t == "-" {
                match item_indent {
                    None => {
                        item_indent = Some(ind);
                        items.push(i);
                    }
                    Some(ii) if ii == ind => items.push(i),
                    Some(ii) if ind < ii => {
                        end = i;
                        break;
                    }
                    _ => {}
                }
            }
        }
        let first = *items.get(n)?;
        let last = items.get(n + 1).copied().unwrap_or(end);
        Some((first, last))
    }

    /// 1-based line of `field` in the n-th rule (the item's line when not found).
    fn rule_field(&self, n: usize, field: &str) -> usize {
        let Some((first, last)) = self.rule_item(n) else {
            return self.key("rules");
        };
        (first..last)
            .find(|&i| Self::is_key(self.lines[i], field))
            .unwrap_or(first)
            + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"# custom rules
rules:
  - id: acme-api-key
    title: Acme API key
    severity: high
    keywords: [acme_]
    regex: '\bacme_[a-z0-9]{32}\b'
    allow:
      regexes: ['acme_0{32}']
  - id: corp-db-password
    title: Corp DB password
    severity: medium
    regex: 'CORPDB\s*=\s*(?P<secret>\S+)'
    paths: ['\.ini$']
disable: [generic-password]
allow:
  paths: ['^app/tests/']
"#;

    #[test]
    fn parses_good() {
        let c = parse(GOOD, "s.yaml").unwrap();
        assert_eq!(c.rules.len(), 2);
        assert_eq!(c.rules[0].info.severity, hull_model::Severity::High);
        assert!(matches!(c.rules[1].group, Group::Name(ref n) if n == "secret"));
        assert_eq!(c.disable, ["generic-password"]);
        assert_eq!(c.allow_paths.len(), 1);
        assert!(parse("", "e.yaml").unwrap().rules.is_empty());
    }

    #[test]
    fn errors_carry_lines() {
        let bad = |from: &str, to: &str| GOOD.replacen(from, to, 1);
        let cases: Vec<(String, usize, &str)> = vec![
            (
                bad("regex: 'CORPDB", "regex: '(CORPDB"),
                13,
                "invalid regex",
            ),
            (
                bad("id: corp-db-password", "id: acme-api-key"),
                10,
                "duplicate rule id",
            ),
            (bad("id: corp-db-password", "id: Corp_DB"), 10, "kebab-case"),
            (
                bad("id: corp-db-password", "id: private-key"),
                10,
                "built-in",
            ),
            (bad("severity: medium", "severity: urgent"), 12, "severity"),
            (
                bad("disable: [generic-password]", "disable: [generic-pasword]"),
                15,
                "not a built-in",
            ),
            (
                bad(
                    "    keywords: [acme_]",
                    "    keywords: [acme_]\n    colour: red",
                ),
                7,
                "unknown field",
            ),
            (bad("severity: high", "severity: [high]"), 5, "invalid type"),
            (
                bad("regex: '\\bacme_[a-z0-9]{32}\\b'", "regex: 'x*'"),
                7,
                "empty string",
            ),
            (
                bad("  paths: ['^app/tests/']", "  paths: ['(']"),
                16,
                "invalid regex",
            ),
            ("rules: [".into(), 1, ""),
            (
                "rules:\n  - id: a\n    title: b\n".into(),
                2,
                "missing field",
            ),
        ];
        for (yaml, line, msg) in cases {
            let e = match parse(&yaml, "s.yaml") {
                Err(e) => e,
                Ok(_) => panic!("accepted: {yaml}"),
            };
            assert_eq!(e.line(), line, "{e}");
            assert!(
                e.to_string().starts_with(&format!("s.yaml:{line}: ")),
                "{e}"
            );
            assert!(e.to_string().contains(msg), "{e}");
        }
    }

    #[test]
    fn kebab_ids() {
        for (id, ok) in [
            ("a", true),
            ("aws-key-2", true),
            ("A", false),
            ("a--b", false),
            ("-a", false),
            ("a_b", false),
            ("", false),
        ] {
            assert_eq!(kebab(id), ok, "{id}");
        }
    }
}
