//! Which read-only opens the rules can possibly match, as path prefixes, so the eBPF
//! source drops the rest in the kernel (an open flood of `/usr/lib/…` reads never
//! reaches user space).
//!
//! The analysis is conservative: for each enabled rule that can see `open` events it
//! derives a set of prefixes such that every read-only open the rule could match has a
//! path (`fd.name`) starting with one of them. Conditions on `fd.name` (`=`, `in`,
//! `startswith`, `pmatch`, the literal head of a `glob`) and `fd.directory` give
//! prefixes; `evt.is_open_write = true` or a type test without `open` rule reads out
//! entirely; anything else (`fd.name contains x`, `proc.name = cat` alone, `not …`)
//! cannot be reduced and makes the filter [`OpenFilter::All`]. Writes are never
//! filtered by path (the kernel reports every write open).
//!
//! ```
//! use hull_runtime::rules::{open_filter::OpenFilter, Engine};
//! let (engine, _) = Engine::load(true, &[] as &[&str]);
//! let OpenFilter::Prefixes(p) = engine.open_filter() else { panic!("default rules reduce") };
//! assert!(p.iter().any(|p| p == "/etc/shadow"));
//! assert!(!p.iter().any(|p| "/etc/hostname".starts_with(p.as_str())));
//! ```

use super::compile::{Field, Node};
use crate::event::EventType;

/// Read-only opens worth reporting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenFilter {
    /// Some rule's open condition does not reduce to path prefixes: report every open.
    All,
    /// Report read-only opens whose path starts with one of these (sorted, none a
    /// prefix of another; empty = no rule looks at read-only opens).
    Prefixes(Vec<String>),
}

impl OpenFilter {
    /// The filter for a set of rule conditions.
    pub fn of<'a>(nodes: impl IntoIterator<Item = &'a Node>) -> OpenFilter {
        let open_bit = 1u32 << EventType::Open.index();
        let mut all = Vec::new();
        for n in nodes {
            if n.type_mask() & open_bit == 0 {
                continue;
            }
            match read_prefixes(n) {
                Some(p) => all.extend(p),
                None => return OpenFilter::All,
            }
        }
        OpenFilter::Prefixes(minimal(all))
    }

    /// Would a read-only open of `path` be reported?
    pub fn wants(&self, path: &str) -> bool {
        match self {
            OpenFilter::All => true,
            OpenFilter::Prefixes(p) => p.iter().any(|p| path.starts_with(p.as_str())),
        }
    }
}

/// Sorted, deduplicated, and without entries that a shorter entry already covers.
fn minimal(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v.dedup();
    let mut out: Vec<String> = Vec::with_capacity(v.len());
    for p in v {
        // Sorted order puts a prefix right before the strings it covers.
        if out.last().is_some_and(|q| p.starts_with(q.as_str())) {
            continue;
        }
        out.push(p);
    }
    out
}

/// `None`: any read-only open may match. `Some(v)`: only opens whose path starts with
/// an element of `v` (empty: no read-only open matches).
fn read_prefixes(n: &Node) -> Option<Vec<String>> {
    let open_bit = 1u32 << EventType::Open.index();
    let strs = |v: &[Box<str>]| Some(v.iter().map(|s| s.to_string()).collect());
    match n {
        Node::Const(false) => Some(Vec::new()),
        Node::TypeMask(m) if m & open_bit == 0 => Some(Vec::new()),
        // For an open, "write" and "not read" are the same thing.
        Node::BoolEq(Field::IsOpenWrite, true) | Node::BoolEq(Field::IsOpenRead, false) => {
            Some(Vec::new())
        }
        Node::Not(inner) => match &**inner {
            Node::BoolEq(Field::IsOpenRead, true) | Node::BoolEq(Field::IsOpenWrite, false) => {
                Some(Vec::new())
            }
            _ => None,
        },
        Node::StrEq(Field::FdName | Field::FdDirectory, s) => Some(vec![s.to_string()]),
        Node::StrIn(Field::FdName | Field::FdDirectory, set) => {
            Some(set.items().map(str::to_string).collect())
        }
        Node::StartsWith(Field::FdName | Field::FdDirectory, v) => strs(v),
        Node::Glob(Field::FdName | Field::FdDirectory, globs) => Some(
            globs
                .iter()
                .map(|g| String::from_utf8_lossy(g.literal_prefix()).into_owned())
                .collect(),
        ),
        Node::And(v) => {
            // Any constrained conjunct bounds the whole; keep the most specific one.
            let mut best: Option<Vec<String>> = None;
            for c in v {
                let Some(p) = read_prefixes(c) else {
                    continue;
                };
                if p.is_empty() {
                    return Some(p);
                }
                let score = |p: &[String]| p.iter().map(String::len).min().unwrap_or(0);
                if best.as_ref().is_none_or(|b| score(&p) > score(b)) {
                    best = Some(p);
                }
            }
            best
        }
        Node::Or(v) => {
            let mut out = Vec::new();
            for c in v {
                out.extend(read_prefixes(c)?);
            }
            Some(out)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::Loader;

    fn filter(rules: &str) -> OpenFilter {
        let mut l = Loader::new();
        l.add_str("t.yaml", rules);
        let (engine, errors) = l.compile();
        assert!(errors.is_empty(), "{errors:?}");
        engine.open_filter()
    }

    fn rule(cond: &str) -> String {
        format!("- rule: r\n  desc: d\n  condition: {cond}\n  output: o\n  priority: notice\n")
    }

    #[test]
    fn reductions() {
        let p = |v: &[&str]| OpenFilter::Prefixes(v.iter().map(|s| s.to_string()).collect());
        let cases: &[(&str, OpenFilter)] = &[
            (
                "evt.type = open and fd.name = /etc/shadow",
                p(&["/etc/shadow"]),
            ),
            (
                "evt.type = open and fd.name in (/etc/shadow, /etc/sudoers, /etc/shadow-)",
                p(&["/etc/shadow", "/etc/sudoers"]),
            ),
            (
                "evt.type = open and (fd.name startswith /root/ or fd.name glob '/home/*/.ssh/*')",
                p(&["/home/", "/root/"]),
            ),
            (
                "evt.type = open and fd.directory = /opt/keys",
                p(&["/opt/keys"]),
            ),
            // Most specific conjunct wins.
            (
                "evt.type = open and fd.name startswith /etc/ and fd.name = /etc/shadow",
                p(&["/etc/shadow"]),
            ),
            // Write-only and non-open rules need no read-only opens.
            ("evt.type = open and evt.is_open_write = true", p(&[])),
            ("evt.type = open and not evt.is_open_read = true", p(&[])),
            ("evt.type = exec and proc.name = sh", p(&[])),
            // Irreducible: everything.
            (
                "evt.type = open and fd.name contains secret",
                OpenFilter::All,
            ),
            ("evt.type = open and proc.name = cat", OpenFilter::All),
            (
                "evt.type = open and not fd.name startswith /proc/",
                OpenFilter::All,
            ),
            (
                "evt.type = open and (fd.name = /a or proc.name = cat)",
                OpenFilter::All,
            ),
            // No type test: the rule sees opens too.
            ("proc.name = cat", OpenFilter::All),
        ];
        for (cond, want) in cases {
            assert_eq!(&filter(&rule(cond)), want, "{cond}");
        }
    }

    #[test]
    fn default_rules_reduce_and_disabled_rules_do_not_count() {
        let (engine, _) = crate::rules::Engine::load(true, &[] as &[&str]);
        let f = engine.open_filter();
        for want in [
            "/etc/shadow",
            "/root/.ssh/id_rsa",
            "/var/run/secrets/kubernetes.io/x",
            "/home/u/.ssh/k",
        ] {
            assert!(f.wants(want), "{want}: {f:?}");
        }
        for skip in [
            "/etc/hostname",
            "/usr/lib/libc.so.6",
            "/proc/self/stat",
            "/etc/passwd",
        ] {
            assert!(!f.wants(skip), "{skip}: {f:?}");
        }
        let custom = "- rule: r\n  desc: d\n  condition: evt.type = open and fd.name contains x\n  output: o\n  priority: notice\n  enabled: false\n";
        assert_eq!(filter(custom), OpenFilter::Prefixes(vec![]));
    }

    #[test]
    fn minimal_drops_covered() {
        let v = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            minimal(v(&["/etc/", "/etc/shadow", "/a", "/etc/"])),
            v(&["/a", "/etc/"])
        );
        assert_eq!(minimal(v(&["", "/x"])), v(&[""]));
    }
}
