//! The image score S (`docs/score.md`): a pure function of the image's files and the
//! findings tied to them.
//!
//! S = 100 · Σᵢ wᵢ·sᵢ / Σᵢ wᵢ over the files i of the image, where
//! - wᵢ is the weight of file i's [`Role`] ([`Role::weight`]), plus two pseudo-files
//!   that always exist: the image config (config checks, secrets in `Env`, labels and
//!   history) and the deleted files (secrets in files a later layer removed), each
//!   weighing [`PSEUDO_SHARE`] of the real files' total weight (at least 1);
//! - sᵢ = Π over the findings k tied to file i of (1 − p(severityₖ)) ([`penalty`]).
//!   A vulnerability is tied to every file of its package, a secret or file check to
//!   its file, a config check to the config pseudo-file.
//!
//! No findings: every sᵢ = 1, S = 100. Weights do not depend on findings and every
//! factor is ≤ 1, so removing a finding never lowers S.

use std::collections::BTreeMap;

use hull_model::{CheckLocation, Ecosystem, Finding, ImagePath, Package, Severity};
use serde::Serialize;

/// Share of the real files' total weight each pseudo-file weighs.
pub const PSEUDO_SHARE: f64 = 0.05;

/// Path of the image-config pseudo-file in score output.
pub const CONFIG_FILE: &str = "<image-config>";
/// Path of the deleted-files pseudo-file in score output.
pub const DELETED_FILE: &str = "<deleted-files>";

/// What a file is for, which decides its weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// An executable or shared library on a default path (`bin`, `sbin`, `lib`,
    /// `lib64`, and the same under `usr/` and `usr/local/`).
    SystemBinary,
    /// Any other file with an execute bit, or a shared object elsewhere.
    Executable,
    /// Under `etc/`.
    Config,
    /// Source and packaged code: `.py`, `.js`, `.jar`, `.rb`, `.php`, …
    Code,
    /// `usr/share/doc`, `usr/share/man`, `usr/share/info`, `usr/share/locale`, and
    /// `.md`/`.txt`/`.html` files.
    Documentation,
    Other,
    /// The image-config or deleted-files pseudo-file.
    Pseudo,
}

impl Role {
    /// The documented weight of the role.
    pub fn weight(self) -> f64 {
        match self {
            Role::SystemBinary => 3.0,
            Role::Executable => 2.0,
            Role::Config => 2.0,
            Role::Code => 1.5,
            Role::Other => 1.0,
            Role::Documentation => 0.1,
            // Pseudo-files get their weight from the image's total.
            Role::Pseudo => 0.0,
        }
    }

    /// The role of a regular file from its path and mode bits.
    pub fn of(path: &str, mode: u32) -> Role {
        const BIN_DIRS: &[&str] = &[
            "bin/",
            "sbin/",
            "lib/",
            "lib64/",
            "usr/bin/",
            "usr/sbin/",
            "usr/lib/",
            "usr/lib64/",
            "usr/local/bin/",
            "usr/local/sbin/",
            "usr/local/lib/",
        ];
        const DOC_DIRS: &[&str] = &[
            "usr/share/doc/",
            "usr/share/man/",
            "usr/share/info/",
            "usr/share/locale/",
        ];
        let name = path.rsplit('/').next().unwrap_or(path);
        let lib = name.ends_with(".so") || name.contains(".so.");
        let exec = mode & 0o111 != 0;
        if DOC_DIRS.iter().any(|d| path.starts_with(d)) {
            return Role::Documentation;
        }
        if (exec || lib) && BIN_DIRS.iter().any(|d| path.starts_with(d)) {
            return Role::SystemBinary;
        }
        if exec || lib {
            return Role::Executable;
        }
        if path.starts_with("etc/") {
            return Role::Config;
        }
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        match ext {
            "py" | "js" | "mjs" | "cjs" | "ts" | "jar" | "war" | "class" | "rb" | "php" | "pl"
            | "pm" | "go" | "rs" | "sh" | "lua" => Role::Code,
            "md" | "txt" | "html" | "htm" | "rst" | "pdf" => Role::Documentation,
            _ => Role::Other,
        }
    }
}

/// The penalty p of one finding: sᵢ is multiplied by 1 − p.
pub fn penalty(severity: Severity) -> f64 {
    match severity {
        Severity::Critical => 0.9,
        Severity::High => 0.6,
        Severity::Medium => 0.3,
        Severity::Unknown => 0.3,
        Severity::Low => 0.1,
        Severity::Negligible => 0.02,
    }
}

/// The kinds a score breaks down by: `vulnerability` plus the content kinds.
pub const KINDS: &[&str] = &["vulnerability", "secret", "file", "config"];

/// One finding as the score sees it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreHit {
    pub kind: &'static str,
    pub id: String,
    pub severity: Severity,
}

/// One file of the score input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoreFile {
    pub path: String,
    pub role: Role,
    pub weight: f64,
    /// Ecosystems of the packages the file belongs to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ecosystems: Vec<Ecosystem>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<ScoreHit>,
}

impl ScoreFile {
    /// sᵢ, optionally counting only findings of one kind.
    pub fn degree(&self, kind: Option<&str>) -> f64 {
        self.findings
            .iter()
            .filter(|h| kind.is_none_or(|k| h.kind == k))
            .map(|h| 1.0 - penalty(h.severity))
            .product()
    }
}

/// S over `files` (0–100), optionally counting only one kind of finding.
pub fn compute(files: &[ScoreFile], kind: Option<&str>) -> f64 {
    let total: f64 = files.iter().map(|f| f.weight).sum();
    if total <= 0.0 {
        return 100.0;
    }
    let kept: f64 = files.iter().map(|f| f.weight * f.degree(kind)).sum();
    (100.0 * kept / total).clamp(0.0, 100.0)
}

/// The score of an image as reports show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Score {
    /// S, 0–100, rounded to 2 decimals.
    pub value: f64,
    /// Files counted (pseudo-files included).
    pub files: usize,
    /// Σᵢ wᵢ.
    pub total_weight: f64,
    /// S counting only findings of each kind.
    pub by_kind: BTreeMap<String, f64>,
    /// S over the files of each ecosystem's packages.
    pub by_ecosystem: BTreeMap<String, f64>,
    /// The files with findings (the others have sᵢ = 1): enough to recompute S.
    pub files_with_findings: Vec<ScoreFile>,
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Score {
    pub fn of(files: &[ScoreFile]) -> Score {
        let by_kind = KINDS
            .iter()
            .map(|k| (k.to_string(), round2(compute(files, Some(k)))))
            .collect();
        let mut ecos: BTreeMap<String, Vec<ScoreFile>> = BTreeMap::new();
        for f in files {
            for e in &f.ecosystems {
                ecos.entry(e.as_str().to_string())
                    .or_default()
                    .push(f.clone());
            }
        }
        Score {
            value: round2(compute(files, None)),
            files: files.len(),
            total_weight: round2(files.iter().map(|f| f.weight).sum()),
            by_kind,
            by_ecosystem: ecos
                .into_iter()
                .map(|(e, fs)| (e, round2(compute(&fs, None))))
                .collect(),
            files_with_findings: files
                .iter()
                .filter(|f| !f.findings.is_empty())
                .cloned()
                .collect(),
        }
    }
}

/// Build the score input of an image: its regular files `(path, mode)` in the final
/// view, the files OS packages own (`path → package name`, empty name when the
/// database does not say), its packages, and the reported findings.
pub fn image_files(
    files: &[(ImagePath, u32)],
    owned: &BTreeMap<ImagePath, String>,
    packages: &[Package],
    vulns: &[&Finding],
    checks: &[&hull_model::CheckFinding],
) -> Vec<ScoreFile> {
    let mut out: Vec<ScoreFile> = files
        .iter()
        .map(|(p, mode)| {
            let role = Role::of(p.as_str(), *mode);
            ScoreFile {
                path: p.as_str().to_string(),
                role,
                weight: role.weight(),
                ecosystems: Vec::new(),
                findings: Vec::new(),
            }
        })
        .collect();
    let real: f64 = out.iter().map(|f| f.weight).sum();
    let pseudo_w = (real * PSEUDO_SHARE).max(1.0);
    for p in [CONFIG_FILE, DELETED_FILE] {
        out.push(ScoreFile {
            path: p.to_string(),
            role: Role::Pseudo,
            weight: pseudo_w,
            ecosystems: Vec::new(),
            findings: Vec::new(),
        });
    }
    let index: BTreeMap<String, usize> = out
        .iter()
        .enumerate()
        .map(|(i, f)| (f.path.clone(), i))
        .collect();
    // Files of each package: dpkg packages through their file lists, others through
    // their recorded path (a file, or every file under a directory such as dist-info).
    let mut by_owner: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (p, owner) in owned {
        if let Some(&i) = index.get(p.as_str()) {
            by_owner.entry(owner.as_str()).or_default().push(i);
        }
    }
    let files_of = |eco: Ecosystem, name: &str, path: &ImagePath| -> Vec<usize> {
        if eco == Ecosystem::Deb {
            let base = name.split(':').next().unwrap_or(name);
            if let Some(v) = by_owner.get(base).filter(|v| !v.is_empty()) {
                return v.clone();
            }
        }
        if let Some(&i) = index.get(path.as_str()) {
            return vec![i];
        }
        let prefix = format!("{}/", path.as_str());
        index
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(_, &i)| i)
            .collect()
    };
    for p in packages {
        for i in files_of(p.ecosystem, &p.name, &p.path) {
            if let Some(f) = out.get_mut(i) {
                if !f.ecosystems.contains(&p.ecosystem) {
                    f.ecosystems.push(p.ecosystem);
                }
            }
        }
    }
    for v in vulns {
        for i in files_of(v.package.ecosystem, &v.package.name, &v.package.path) {
            if let Some(f) = out.get_mut(i) {
                f.findings.push(ScoreHit {
                    kind: "vulnerability",
                    id: v.id.clone(),
                    severity: v.severity,
                });
            }
        }
    }
    for c in checks {
        let target = match &c.location {
            CheckLocation::File {
                deleted_in: Some(_),
                ..
            } => index.get(DELETED_FILE),
            CheckLocation::File { path, .. } => index.get(path.as_str()).or_else(|| {
                // A directory finding (`.git`, a cache dir) counts on the directory's
                // first file, else nothing.
                let prefix = format!("{}/", path.as_str());
                index
                    .range(prefix.clone()..)
                    .find(|(k, _)| k.starts_with(&prefix))
                    .map(|(_, i)| i)
            }),
            CheckLocation::Config { .. } | CheckLocation::History { .. } => index.get(CONFIG_FILE),
        };
        if let Some(f) = target.and_then(|&i| out.get_mut(i)) {
            f.findings.push(ScoreHit {
                kind: c.kind.as_str(),
                id: c.rule.clone(),
                severity: c.severity,
            });
        }
    }
    for f in &mut out {
        f.ecosystems.sort();
        f.findings
            .sort_by(|a, b| (a.kind, &a.id, a.severity).cmp(&(b.kind, &b.id, b.severity)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, mode: u32, hits: &[(&'static str, Severity)]) -> ScoreFile {
        let role = Role::of(path, mode);
        ScoreFile {
            path: path.into(),
            role,
            weight: role.weight(),
            ecosystems: vec![],
            findings: hits
                .iter()
                .map(|(k, s)| ScoreHit {
                    kind: k,
                    id: "x".into(),
                    severity: *s,
                })
                .collect(),
        }
    }

    #[test]
    fn roles() {
        for (p, mode, want) in [
            ("usr/bin/su", 0o4755, Role::SystemBinary),
            (
                "usr/lib/x86_64-linux-gnu/libc.so.6",
                0o644,
                Role::SystemBinary,
            ),
            ("opt/app/run", 0o755, Role::Executable),
            ("etc/passwd", 0o644, Role::Config),
            ("app/main.py", 0o644, Role::Code),
            ("usr/share/doc/x/copyright", 0o644, Role::Documentation),
            ("app/README.md", 0o644, Role::Documentation),
            ("var/lib/dpkg/status", 0o644, Role::Other),
        ] {
            assert_eq!(Role::of(p, mode), want, "{p}");
        }
    }

    #[test]
    fn no_findings_is_100_and_formula() {
        let files = vec![file("usr/bin/a", 0o755, &[]), file("etc/b", 0o644, &[])];
        assert_eq!(compute(&files, None), 100.0);
        assert_eq!(compute(&[], None), 100.0);
        let files = vec![
            file("usr/bin/a", 0o755, &[("vulnerability", Severity::High)]),
            file("etc/b", 0o644, &[]),
        ];
        // (3·0.4 + 2·1) / 5
        assert!((compute(&files, None) - 64.0).abs() < 1e-9);
        assert_eq!(compute(&files, Some("secret")), 100.0);
    }

    /// Removing any one finding never lowers S (checked exhaustively over a set of
    /// generated images).
    #[test]
    fn monotone() {
        let sevs = Severity::ALL;
        let kinds = KINDS;
        let paths = [
            ("usr/bin/a", 0o755),
            ("etc/b", 0o644),
            ("usr/share/doc/c", 0o644),
            ("app/d.py", 0o644),
            ("opt/e", 0o755),
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..300 {
            let files: Vec<ScoreFile> = paths
                .iter()
                .map(|(p, m)| {
                    let n = (next() % 4) as usize;
                    let hits: Vec<(&'static str, Severity)> = (0..n)
                        .map(|_| {
                            (
                                kinds[(next() % kinds.len() as u64) as usize],
                                sevs[(next() % sevs.len() as u64) as usize],
                            )
                        })
                        .collect();
                    file(p, *m, &hits)
                })
                .collect();
            let before = compute(&files, None);
            for (fi, f) in files.iter().enumerate() {
                for k in 0..f.findings.len() {
                    let mut fewer = files.clone();
                    fewer[fi].findings.remove(k);
                    assert!(compute(&fewer, None) >= before - 1e-12);
                    for kind in KINDS {
                        assert!(compute(&fewer, Some(kind)) >= compute(&files, Some(kind)) - 1e-12);
                    }
                }
            }
        }
    }
}
