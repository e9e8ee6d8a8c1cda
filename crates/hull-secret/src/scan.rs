//! The engine: compiled rules, the keyword prefilter, matching, de-duplication, lines.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::bytes::{Captures, Regex, RegexBuilder};

use crate::allow;
use crate::files::{self, PathClass};
use crate::mask::{self, Masked};
use crate::rules::{self, Accept, Files, Hit, Verify, BUILTIN};
use crate::{ConfigError, RuleInfo, Secret};

/// Findings kept per file (the rest are dropped: a file with a hundred secrets is one
/// problem, not a report of a million lines).
pub const MAX_FINDINGS: usize = 100;
/// Bytes looked at for a NUL to call a file binary (binary files are not scanned).
pub const BINARY_SNIFF: usize = 8192;
/// Verified candidates examined per file before de-duplication.
const MAX_CANDIDATES: usize = 4 * MAX_FINDINGS;

/// How a rule finds the secret in its match.
#[derive(Debug, Clone)]
pub(crate) enum Group {
    /// `secret`, else whichever of `dq`/`sq`/`bare` matched, else the whole match.
    Builtin,
    Index(usize),
    Name(String),
}

/// Which files a compiled rule reads.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    Builtin(Files),
    /// Custom rules: any text file whose path matches one of these (empty: every file).
    Paths(Vec<Regex>),
}

pub(crate) struct Rule {
    pub info: RuleInfo,
    pub regex: Regex,
    pub group: Group,
    pub filter: Filter,
    pub requires: Option<Regex>,
    pub keep: usize,
    /// `None`: a custom rule, accepted unless [`allow::fake`] or an allow rule says no.
    pub verify: Option<Verify>,
    pub allow_values: Vec<Regex>,
    pub allow_paths: Vec<Regex>,
    pub max_matches: usize,
    /// Keywords matched in their four spellings / exactly as written.
    pub keywords: Vec<String>,
    pub exact: Vec<String>,
}

impl Rule {
    fn applies(&self, class: &PathClass) -> bool {
        let ok = match &self.filter {
            Filter::Builtin(Files::Any) => true,
            Filter::Builtin(Files::NotDocs) => !class.docs && !class.vendored,
            Filter::Builtin(Files::Config) => class.config && !class.docs && !class.vendored,
            Filter::Builtin(Files::Names(names)) => {
                names.iter().any(|n| n.eq_ignore_ascii_case(class.base))
            }
            Filter::Paths(p) => p.is_empty() || p.iter().any(|r| r.is_match(class.path.as_bytes())),
        };
        ok && !self
            .allow_paths
            .iter()
            .any(|r| r.is_match(class.path.as_bytes()))
    }

    /// Rules that read only named files skip the keyword prefilter: they run on every
    /// such file.
    fn by_name(&self) -> bool {
        matches!(self.filter, Filter::Builtin(Files::Names(_)))
    }

    fn secret_range(&self, caps: &Captures) -> Option<Range<usize>> {
        let m = match &self.group {
            Group::Builtin => caps
                .name("secret")
                .or_else(|| caps.name("dq"))
                .or_else(|| caps.name("sq"))
                .or_else(|| caps.name("bare"))
                .or_else(|| caps.get(0)),
            Group::Index(i) => caps.get(*i),
            Group::Name(n) => caps.name(n),
        }?;
        (!m.is_empty()).then(|| m.range())
    }
}

/// Files are put in one of three buckets by path; each bucket has its own automata
/// with only the keywords of the rules that read such files.
#[derive(Clone, Copy)]
enum Bucket {
    /// Documentation and installed packages: vendor-format rules only.
    Narrow = 0,
    Plain = 1,
    Config = 2,
}

impl Bucket {
    fn of(class: &PathClass) -> Bucket {
        if class.docs || class.vendored {
            Bucket::Narrow
        } else if class.config {
            Bucket::Config
        } else {
            Bucket::Plain
        }
    }
}

/// The spellings a keyword is matched in: as written, lowercase, UPPERCASE, Capitalized.
pub(crate) fn variants(k: &str) -> Vec<String> {
    let lower = k.to_ascii_lowercase();
    let mut cap = lower.clone();
    if let Some(first) = cap.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let mut v = vec![k.to_string()];
    for x in [lower, k.to_ascii_uppercase(), cap] {
        if !v.contains(&x) {
            v.push(x);
        }
    }
    v
}

/// Patterns per automaton: aho-corasick's SIMD (Teddy) searcher takes up to 64; more
/// go to further automata, each one more pass.
const PATTERNS_PER_PASS: usize = 64;

/// One automaton and, per pattern, the rules a hit triggers.
struct Pass {
    ac: AhoCorasick,
    rules: Vec<Vec<usize>>,
}

/// The keyword pass: case-sensitive leftmost-first automata over the keywords of the
/// bucket's rules (case-sensitive so that aho-corasick can use its SIMD searcher; the
/// case variants are patterns of their own), each search resumed one byte after a
/// hit's start so that no keyword hides another.
#[derive(Default)]
struct Prefilter {
    passes: Vec<Pass>,
    /// Rules without keywords: always candidates.
    always: Vec<usize>,
    /// Rules that keywords can trigger (the pass stops once all are).
    keyed: usize,
}

impl Prefilter {
    fn build(rules: &[Rule], member: impl Fn(&Rule) -> bool) -> Prefilter {
        let mut p = Prefilter::default();
        let mut pats: Vec<(String, Vec<usize>)> = Vec::new();
        let mut add = |k: String, rule: usize| match pats.iter_mut().find(|(x, _)| *x == k) {
            Some((_, r)) => {
                if !r.contains(&rule) {
                    r.push(rule)
                }
            }
            None => pats.push((k, vec![rule])),
        };
        for (i, r) in rules.iter().enumerate() {
            if !member(r) {
                continue;
            }
            if r.by_name() || (r.keywords.is_empty() && r.exact.is_empty()) {
                p.always.push(i);
                continue;
            }
            p.keyed += 1;
            for k in &r.keywords {
                for v in variants(k) {
                    add(v, i);
                }
            }
            for k in &r.exact {
                add(k.clone(), i);
            }
        }
        for chunk in pats.chunks(PATTERNS_PER_PASS) {
            let ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(chunk.iter().map(|(k, _)| k.as_bytes()))
                .expect("keyword automaton (literals, bounded count)");
            // Leftmost-first reports one pattern per position: a hit also stands for
            // the patterns that it starts with or that start with it.
            let rules = chunk
                .iter()
                .map(|(k, r)| {
                    let mut all = r.clone();
                    for (o, or) in chunk {
                        if o != k && (o.starts_with(k.as_str()) || k.starts_with(o.as_str())) {
                            all.extend(or.iter().copied());
                        }
                    }
                    all
                })
                .collect();
            p.passes.push(Pass { ac, rules });
        }
        p
    }

    /// Which rules may match `data`, stopping as soon as every keyed rule is.
    fn triggered(&self, data: &[u8], n: usize) -> Vec<bool> {
        let mut hit = vec![false; n];
        for &r in &self.always {
            hit[r] = true;
        }
        let mut left = self.keyed;
        for pass in &self.passes {
            let mut pos = 0;
            while left > 0 && pos < data.len() {
                let Some(m) = pass.ac.find(aho_corasick::Input::new(data).range(pos..)) else {
                    break;
                };
                for &r in &pass.rules[m.pattern().as_usize()] {
                    if !hit[r] {
                        hit[r] = true;
                        left -= 1;
                    }
                }
                pos = m.start() + 1;
            }
        }
        hit
    }
}

/// Compiled rules; `Send + Sync`, cheap to share behind a reference or an `Arc`.
pub struct Scanner {
    rules: Vec<Rule>,
    infos: Vec<RuleInfo>,
    buckets: [Prefilter; 3],
    allow_paths: Vec<Regex>,
    allow_values: Vec<Regex>,
}

impl std::fmt::Debug for Scanner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Scanner")
            .field("rules", &self.infos.len())
            .finish_non_exhaustive()
    }
}

pub(crate) fn builtin_rules() -> Vec<Rule> {
    BUILTIN
        .iter()
        .map(|b| {
            let regex = RegexBuilder::new(b.regex)
                .unicode(false)
                .build()
                .unwrap_or_else(|e| panic!("built-in rule {}: {e}", b.id));
            let requires = b.requires.map(|r| {
                RegexBuilder::new(r)
                    .unicode(false)
                    .build()
                    .unwrap_or_else(|e| panic!("built-in rule {} requires: {e}", b.id))
            });
            let keywords: Vec<String> = b.keywords.iter().map(|s| s.to_string()).collect();
            let exact: Vec<String> = b.exact.iter().map(|s| s.to_string()).collect();
            Rule {
                info: RuleInfo {
                    id: b.id.into(),
                    title: b.title.into(),
                    severity: b.severity,
                    keywords: keywords.iter().chain(&exact).cloned().collect(),
                    description: b.description.into(),
                    builtin: true,
                },
                regex,
                group: Group::Builtin,
                filter: Filter::Builtin(b.files),
                requires,
                keep: b.keep,
                verify: Some(b.verify),
                allow_values: Vec::new(),
                allow_paths: Vec::new(),
                max_matches: b.max_matches,
                keywords,
                exact,
            }
        })
        .collect()
}

impl Scanner {
    /// The built-in rules (`docs/secrets.md`).
    pub fn builtin() -> Scanner {
        Scanner::assemble(builtin_rules(), Vec::new(), Vec::new())
    }

    /// Built-in rules plus custom rules from a `--secret-config` YAML file (its text;
    /// `origin` names it in errors, which carry `origin:line`).
    pub fn with_config(yaml: &str, origin: &str) -> Result<Scanner, ConfigError> {
        let cfg = crate::config::parse(yaml, origin)?;
        let mut rules: Vec<Rule> = builtin_rules()
            .into_iter()
            .filter(|r| !cfg.disable.contains(&r.info.id))
            .collect();
        rules.extend(cfg.rules);
        Ok(Scanner::assemble(rules, cfg.allow_paths, cfg.allow_values))
    }

    pub(crate) fn assemble(
        rules: Vec<Rule>,
        allow_paths: Vec<Regex>,
        allow_values: Vec<Regex>,
    ) -> Scanner {
        let applies = |b: Bucket| {
            move |r: &Rule| {
                !matches!(
                    (&r.filter, b),
                    (Filter::Builtin(Files::NotDocs), Bucket::Narrow)
                        | (
                            Filter::Builtin(Files::Config),
                            Bucket::Narrow | Bucket::Plain
                        )
                )
            }
        };
        let buckets = [
            Prefilter::build(&rules, applies(Bucket::Narrow)),
            Prefilter::build(&rules, applies(Bucket::Plain)),
            Prefilter::build(&rules, applies(Bucket::Config)),
        ];
        let infos = rules.iter().map(|r| r.info.clone()).collect();
        Scanner {
            rules,
            infos,
            buckets,
            allow_paths,
            allow_values,
        }
    }

    /// Cheap path/size test: should the walk hand this file's bytes to [`Scanner::scan`]?
    /// No for empty files, files over [`MAX_FILE_SIZE`], compressed/media/compiled
    /// types, and paths a custom config allow-lists.
    pub fn wants(&self, path: &str, size: u64) -> bool {
        files::wanted(path, size)
            && !self
                .allow_paths
                .iter()
                .any(|r| r.is_match(path.trim_start_matches('/').as_bytes()))
    }

    /// Scan one file's bytes: any content (binary files are skipped, non-UTF-8 text is
    /// scanned as bytes), at most [`MAX_FILE_SIZE`] bytes of it, at most
    /// [`MAX_FINDINGS`] findings, sorted by position. Time is linear in the size.
    pub fn scan(&self, path: &str, data: &[u8]) -> Vec<Secret> {
        let data = &data[..data.len().min(files::MAX_FILE_SIZE as usize)];
        if memchr::memchr(0, &data[..data.len().min(BINARY_SNIFF)]).is_some() {
            return Vec::new();
        }
        let class = PathClass::of(path);
        if self
            .allow_paths
            .iter()
            .any(|r| r.is_match(class.path.as_bytes()))
        {
            return Vec::new();
        }
        self.scan_class(&class, data)
    }

    /// Scan one image config value: an `Env` entry (`KEY=VALUE`), a label
    /// (`key=value`), a history `created_by` line. Read like a line of a `.env` file, so
    /// the assignment rules apply; `line` is 1.
    pub fn scan_value(&self, origin: &str, text: &str) -> Vec<Secret> {
        let class = PathClass::config_value(origin);
        let data = text.as_bytes();
        self.scan_class(
            &class,
            &data[..data.len().min(files::MAX_FILE_SIZE as usize)],
        )
    }

    /// Every active rule (built-in ones not disabled, then custom ones), in priority order.
    pub fn rules(&self) -> &[RuleInfo] {
        &self.infos
    }

    fn scan_class(&self, class: &PathClass, data: &[u8]) -> Vec<Secret> {
        if data.is_empty() {
            return Vec::new();
        }
        let triggered = self.buckets[Bucket::of(class) as usize].triggered(data, self.rules.len());
        let mut cands: Vec<(usize, Accept)> = Vec::new();
        'rules: for (ri, rule) in self.rules.iter().enumerate() {
            if !triggered[ri] || !rule.applies(class) {
                continue;
            }
            if rule.requires.as_ref().is_some_and(|r| !r.is_match(data)) {
                continue;
            }
            for (n, caps) in rule.regex.captures_iter(data).enumerate() {
                if n >= rule.max_matches {
                    break;
                }
                let Some(secret) = rule.secret_range(&caps) else {
                    continue;
                };
                let hit = Hit {
                    data,
                    caps: &caps,
                    secret,
                };
                let accepted = match rule.verify {
                    Some(v) => v(&hit),
                    None => (!allow::fake(hit.value())).then(|| Accept::of(&hit)),
                };
                let Some(mut a) = accepted else { continue };
                if self.allowed_value(rule, &a.value) {
                    continue;
                }
                if a.keep == 0 {
                    a.keep = rule.keep;
                }
                // Never show more than half of a secret, whatever the prefix.
                a.keep = a.keep.min((a.mask.end - a.mask.start) / 2);
                cands.push((ri, a));
                if cands.len() >= MAX_CANDIDATES {
                    break 'rules;
                }
            }
        }
        self.finish(data, cands)
    }

    fn allowed_value(&self, rule: &Rule, value: &[u8]) -> bool {
        rule.allow_values
            .iter()
            .chain(&self.allow_values)
            .any(|r| r.is_match(value))
    }

    /// De-duplicate (an earlier rule wins bytes both matched), sort, cap, count lines,
    /// cut excerpts.
    fn finish(&self, data: &[u8], cands: Vec<(usize, Accept)>) -> Vec<Secret> {
        let claim = |a: &Accept| a.anchor.min(a.mask.start)..a.mask.end.max(a.anchor + 1);
        let mut kept: Vec<(usize, Accept)> = Vec::new();
        for (ri, a) in cands {
            let c = claim(&a);
            let overlaps = kept.iter().any(|(_, k)| {
                let kc = claim(k);
                kc.start < c.end && c.start < kc.end
            });
            if !overlaps {
                kept.push((ri, a));
            }
        }
        kept.sort_by_key(|(ri, a)| (a.anchor, *ri));
        let mut masks: Vec<Masked> = kept
            .iter()
            .map(|(_, a)| Masked {
                range: a.mask.clone(),
                keep: a.keep,
            })
            .collect();
        masks.sort_by_key(|m| m.range.start);
        kept.truncate(MAX_FINDINGS);

        let mut out = Vec::with_capacity(kept.len());
        let (mut pos, mut line, mut line_start) = (0usize, 1usize, 0usize);
        for (ri, a) in kept {
            let seg = &data[pos..a.anchor];
            let newlines = memchr::memchr_iter(b'\n', seg).count();
            if newlines > 0 {
                line += newlines;
                line_start = pos + memchr::memrchr(b'\n', seg).map_or(0, |i| i + 1);
            }
            pos = a.anchor;
            let rule = &self.rules[ri];
            out.push(Secret {
                rule: rule.info.id.clone(),
                title: rule.info.title.clone(),
                severity: rules::lower(rule.info.severity, a.lower),
                line: u32::try_from(line).unwrap_or(u32::MAX),
                column: u32::try_from(a.anchor - line_start + 1).unwrap_or(u32::MAX),
                excerpt: mask::excerpt(data, line_start, a.anchor, &masks),
                fingerprint: mask::fingerprint(&a.value),
                detail: a.detail,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn send_sync() {
        fn is<T: Send + Sync>() {}
        is::<Scanner>();
    }

    #[test]
    fn keyword_variants() {
        assert_eq!(variants("pass"), ["pass", "PASS", "Pass"]);
        assert_eq!(
            variants("AccountKey"),
            ["AccountKey", "accountkey", "ACCOUNTKEY", "Accountkey"]
        );
        assert_eq!(variants("://"), ["://"]);
    }

    #[test]
    fn each_bucket_is_one_simd_pass() {
        let s = Scanner::builtin();
        for b in &s.buckets {
            assert_eq!(b.passes.len(), 1);
        }
        // Named-file rules skip the keyword pass.
        let names: Vec<&str> = s
            .rules
            .iter()
            .filter(|r| r.by_name())
            .map(|r| r.info.id.as_str())
            .collect();
        assert!(names.contains(&"netrc-password") && names.contains(&"docker-config-auth"));
        assert!(s
            .rules
            .iter()
            .filter(|r| r.by_name())
            .all(|r| r.keywords.is_empty() && r.exact.is_empty()));
    }

    #[test]
    fn builtin_compiles_with_unique_kebab_ids() {
        let s = Scanner::builtin();
        let mut ids: Vec<&str> = s.rules().iter().map(|r| r.id.as_str()).collect();
        assert!(ids.iter().all(|i| crate::config::kebab(i)), "{ids:?}");
        let n = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "duplicate rule id");
    }
}
