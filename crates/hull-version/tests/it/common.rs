//! Shared helpers: finding the corpus and the tools, harvesting real versions.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The shared corpus, or `None` (after a loud SKIP line) when it is absent.
pub fn corpus() -> Option<PathBuf> {
    hull_testkit::corpus_with("truth")
}

/// Skip (or fail, when required) because a tool is missing.
pub fn tool_missing(what: &str) {
    hull_testkit::skip_or_fail(&format!(
        "{what} is missing; install the packages in .ci/apt/hull-version.txt"
    ));
}

fn read_json(p: &Path) -> Option<serde_json::Value> {
    let text = std::fs::read_to_string(p).ok()?;
    serde_json::from_str(&text).ok()
}

fn legacy_files(corpus: &Path, prefixes: &[&str]) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(corpus.join("truth/legacy")) {
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".json")
                && !name.ends_with(".meta.json")
                && prefixes.iter().any(|p| name.starts_with(p))
            {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// Append every file below `dir` (recursively) whose extension is one of `exts` (any
/// file when `exts` is empty) to `out`; a missing or unreadable folder adds nothing.
pub fn files_below(dir: &Path, exts: &[&str], out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_below(&p, exts, out);
        } else if exts.is_empty()
            || p.extension()
                .is_some_and(|x| exts.iter().any(|want| x == *want))
        {
            out.push(p);
        }
    }
}

fn str_field<'a>(v: &'a serde_json::Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(|x| x.as_str())
}

/// Debian/Ubuntu versions: installed packages and the security tracker's DSA/DLA fixes.
pub fn dpkg_versions(corpus: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in legacy_files(corpus, &["debian", "ubuntu"]) {
        if let Some(j) = read_json(&f) {
            for p in j["packages"].as_array().into_iter().flatten() {
                out.extend(str_field(p, "version").map(String::from));
                out.extend(str_field(p, "source_version").map(String::from));
            }
        }
    }
    if let Some(j) = read_json(&corpus.join("truth/app-debian.json")) {
        for p in j["dpkg"].as_array().into_iter().flatten() {
            out.extend(str_field(p, "version").map(String::from));
        }
    }
    for list in ["DSA/list", "DLA/list"] {
        let path = corpus.join("feeds/debian/security-tracker/data").join(list);
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for line in text.lines() {
            // "\t[bullseye] - xorg-server 2:1.20.11-1+deb11u6"
            let Some((_, rest)) = line.trim().split_once("] - ") else {
                continue;
            };
            let mut words = rest.split_whitespace();
            let (_pkg, ver) = (words.next(), words.next());
            if let Some(v) = ver.filter(|v| !v.starts_with('<')) {
                out.insert(v.to_string());
            }
        }
    }
    out
}

/// RPM (epoch, version, release) from CentOS, SLES and Amazon Linux databases.
pub fn rpm_versions(corpus: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in legacy_files(corpus, &["centos", "sles", "amazonlinux"]) {
        if let Some(j) = read_json(&f) {
            for p in j["packages"].as_array().into_iter().flatten() {
                let (Some(v), Some(r)) = (str_field(p, "version"), str_field(p, "release")) else {
                    continue;
                };
                let e = match &p["epoch"] {
                    serde_json::Value::Number(n) => format!("{n}:"),
                    serde_json::Value::String(s) => format!("{s}:"),
                    _ => String::new(),
                };
                out.insert(format!("{e}{v}-{r}"));
            }
        }
    }
    out
}

/// apk versions: installed packages and Alpine secdb fixes.
pub fn apk_versions(corpus: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for f in legacy_files(corpus, &["alpine"]) {
        if let Some(j) = read_json(&f) {
            for p in j["packages"].as_array().into_iter().flatten() {
                out.extend(str_field(p, "version").map(String::from));
            }
        }
    }
    let mut files = Vec::new();
    files_below(
        &corpus.join("feeds/alpine/secdb-json-derived"),
        &["json"],
        &mut files,
    );
    for p in files {
        if let Some(j) = read_json(&p) {
            collect_secfixes(&j, &mut out);
        }
    }
    out
}

fn collect_secfixes(j: &serde_json::Value, out: &mut BTreeSet<String>) {
    // secdb: packages[].pkg.secfixes: { "1.2.3-r0": ["CVE-…"] }
    for p in j["packages"].as_array().into_iter().flatten() {
        if let Some(fixes) = p["pkg"]["secfixes"].as_object() {
            out.extend(fixes.keys().cloned());
        }
    }
}

/// PEP 440 candidates: installed dists and every version named by the PyPI advisories
/// (events and `versions` lists), including strings `packaging` refuses.
pub fn pep440_strings(corpus: &Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Some(j) = read_json(&corpus.join("truth/app-debian.json")) {
        for p in j["python"].as_array().into_iter().flatten() {
            out.extend(str_field(p, "version").map(String::from));
        }
    }
    let mut files = Vec::new();
    files_below(&corpus.join("feeds/pypi-pypa/vulns"), &[], &mut files);
    for p in files {
        let Ok(text) = std::fs::read_to_string(&p) else {
            continue;
        };
        let mut in_versions = false;
        for line in text.lines() {
            let t = line.trim();
            if t == "versions:" {
                in_versions = true;
                continue;
            }
            let Some(item) = t.strip_prefix("- ") else {
                in_versions = false;
                continue;
            };
            let value = ["introduced:", "fixed:", "last_affected:"]
                .iter()
                .find_map(|k| item.strip_prefix(k))
                .or(in_versions.then_some(item));
            if let Some(v) = value {
                let v = v.trim().trim_matches(['"', '\'']);
                if !v.is_empty() && v != "0" {
                    out.insert(v.to_string());
                }
            }
        }
    }
    out
}

/// A small deterministic generator (xorshift64*), so the sampled pairs are stable.
pub struct Rng(u64);
impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n.max(1)
    }
}

/// Interesting pairs from a list of versions: neighbours in hull's order (where a
/// disagreement would hide), deterministic random pairs, and all pairs of `tricky`.
pub fn pairs<T>(
    versions: &[String],
    tricky: &[&str],
    parse: impl Fn(&str) -> Option<T>,
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
    neighbours: usize,
    random: usize,
) -> Vec<(String, String)> {
    let mut parsed: Vec<(T, &String)> = versions
        .iter()
        .filter_map(|s| Some((parse(s)?, s)))
        .collect();
    parsed.sort_by(|a, b| cmp(&a.0, &b.0));
    let mut out = Vec::new();
    let step = (parsed.len() / neighbours.max(1)).max(1);
    let mut i = 0;
    while i + 1 < parsed.len() && out.len() < neighbours {
        out.push((parsed[i].1.clone(), parsed[i + 1].1.clone()));
        i += step;
    }
    let mut rng = Rng::new(0x5eed_1234_abcd);
    for _ in 0..random.min(parsed.len() * parsed.len()) {
        let a = rng.below(parsed.len());
        let b = rng.below(parsed.len());
        out.push((parsed[a].1.clone(), parsed[b].1.clone()));
    }
    for a in tricky {
        for b in tricky {
            out.push((a.to_string(), b.to_string()));
        }
    }
    out
}
