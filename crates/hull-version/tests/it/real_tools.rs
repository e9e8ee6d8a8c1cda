//! hull's answers against the reference implementations, run for real: `dpkg
//! --compare-versions`, librpm's `labelCompare` (python3-rpm) and Python `packaging`
//! (python3-packaging). Pairs come from real versions in the corpus plus hand-picked
//! tricky ones; each tool runs once per test over the whole batch.

use std::cmp::Ordering;
use std::io::Write;
use std::process::{Command, Stdio};

use hull_version::{Constraint, Scheme, Version};

use crate::common::{self, pairs};

/// Run `cmd` with `input` on stdin; `None` if it cannot start or fails.
fn run(cmd: &mut Command, input: &str) -> Option<String> {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    child.stdin.take()?.write_all(input.as_bytes()).ok()?;
    let out = child.wait_with_output().ok()?;
    if !out.status.success() {
        eprintln!("tool failed: {}", String::from_utf8_lossy(&out.stderr));
        return None;
    }
    String::from_utf8(out.stdout).ok()
}

fn python_has(module: &str) -> bool {
    Command::new("/usr/bin/python3")
        .args(["-c", &format!("import {module}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn ord_name(o: Ordering) -> &'static str {
    match o {
        Ordering::Less => "lt",
        Ordering::Equal => "eq",
        Ordering::Greater => "gt",
    }
}

fn report(tool: &str, checked: usize, mismatches: &[String]) {
    eprintln!(
        "{tool}: {checked} pairs checked, {} disagreements",
        mismatches.len()
    );
    for m in mismatches.iter().take(25) {
        eprintln!("  {m}");
    }
    assert!(
        mismatches.is_empty(),
        "hull disagrees with {tool} on {} pairs",
        mismatches.len()
    );
    assert!(checked > 0, "no pairs checked against {tool}");
}

const DPKG_TRICKY: &[&str] = &[
    "1.0",
    "1.0-0",
    "1.0-1",
    "1.0~rc1",
    "1.0~~",
    "1.0~",
    "1.0a",
    "1.0+",
    "1.0.1",
    "1:0.9",
    "0:1.0",
    "1.0-1~bpo1",
    "1.0-1+deb12u1",
    "1.0-1+deb12u10",
    "1.0+dfsg-1",
    "1.0-1ubuntu1",
    "1.0-1ubuntu0.1",
    "2:1.0",
    "10:0",
    "1.00",
    "1.0-a-1",
    "1.0-a-10",
    "1.99999999999999999999999",
    "1.100000000000000000000000",
    "7.88.1-10+deb12u5",
    "1.1.1n-0+deb11u4",
    "3.0.11-1~deb12u2",
    "2.36-9+deb12u4",
    "a",
    "1.0.0~alpha.1",
];

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    if !std::path::Path::new("/usr/bin/dpkg").exists() {
        return common::tool_missing("dpkg");
    }
    let versions: Vec<String> = common::dpkg_versions(&corpus).into_iter().collect();
    assert!(
        versions.len() > 500,
        "too few dpkg versions harvested: {}",
        versions.len()
    );
    let pairs = pairs(
        &versions,
        DPKG_TRICKY,
        |s| Version::parse(Scheme::Dpkg, s).ok(),
        |a, b| a.cmp(b),
        300,
        200,
    );
    let input: String = pairs.iter().map(|(a, b)| format!("{a}\t{b}\n")).collect();
    // One shell for the batch; dpkg only answers one relation per call.
    let script = r#"tab=$(printf '\t'); while IFS="$tab" read -r a b; do
        if dpkg --compare-versions "$a" lt "$b" 2>/dev/null; then echo lt;
        elif dpkg --compare-versions "$a" eq "$b" 2>/dev/null; then echo eq;
        else echo gt; fi; done"#;
    let out = run(Command::new("sh").args(["-c", script]), &input).expect("dpkg batch failed");
    let answers: Vec<&str> = out.lines().collect();
    assert_eq!(answers.len(), pairs.len());
    let mut bad = Vec::new();
    for ((a, b), want) in pairs.iter().zip(answers) {
        let got = hull_version::compare(Scheme::Dpkg, a, b).map(ord_name);
        if got.as_deref() != Ok(want) {
            bad.push(format!("{a} vs {b}: dpkg {want}, hull {got:?}"));
        }
    }
    report("dpkg --compare-versions", pairs.len(), &bad);
}

/// Strings dpkg refuses outright (exit 2) and strings it only warns about: hull must
/// refuse exactly the former. (The empty string is left out: `--compare-versions`
/// reads it as "no version", which hull refuses on purpose.)
const DPKG_SYNTAX: &[&str] = &[
    ":1.0",
    "2147483647:1",
    "2147483648:1",
    "a:1.0",
    "1:",
    "1.0-",
    "-1",
    "1 0",
    "1:2:3",
    "1.0-1-",
    "0:0",
    "1:a",
    "a",
    "1.0_1",
    "1.0@1",
    "1.0-a:b",
    "9999999999999999999:1",
    "1.0-1~",
    "~",
    "1.0--1",
];

#[test]
fn dpkg_refuses_what_dpkg_refuses() {
    if !std::path::Path::new("/usr/bin/dpkg").exists() {
        return common::tool_missing("dpkg");
    }
    let input: String = DPKG_SYNTAX.iter().map(|v| format!("{v}\n")).collect();
    let script = r#"while IFS= read -r v; do
        dpkg --compare-versions "$v" eq "$v" 2>/dev/null; echo $?; done"#;
    let out = run(Command::new("sh").args(["-c", script]), &input).expect("dpkg batch failed");
    let codes: Vec<&str> = out.lines().collect();
    assert_eq!(codes.len(), DPKG_SYNTAX.len());
    let mut bad = Vec::new();
    for (v, code) in DPKG_SYNTAX.iter().zip(codes) {
        let dpkg_ok = code == "0";
        let hull_ok = Version::parse(Scheme::Dpkg, v).is_ok();
        if dpkg_ok != hull_ok {
            bad.push(format!("{v:?}: dpkg exit {code}, hull valid={hull_ok}"));
        }
    }
    report("dpkg syntax", DPKG_SYNTAX.len(), &bad);
}

const RPM_TRICKY: &[&str] = &[
    "1.0-1",
    "1.0-1.el7",
    "1.0-1.el7_9",
    "1.0~rc1-1",
    "1.0~rc1~git1-1",
    "1.0^git1-1",
    "1.0^-1",
    "1.0.1-1",
    "1:0.1-1",
    "0:1.0-1",
    "1.0a-1",
    "1.0-1a",
    "1.0_1-1",
    "1..0-1",
    "2.0-0.1.rc1",
    "2.0-1.fc39",
    "010-1",
    "10-1",
    "1.0-2.el8_4.1",
    "1.0-10.el8",
    "5.5p1-1",
    "5.5p10-1",
    "xyz.4-1",
    "8-1",
    "1.0aa-1",
    "a+-1",
    "a_-1",
    "1.0~-1",
    "1.0^20160101-1",
    "2.02-0.86.el7.centos",
];

const RPM_SCRIPT: &str = r#"
import json, sys, rpm
out = []
for a, b in json.load(sys.stdin):
    out.append(rpm.labelCompare(tuple(a), tuple(b)))
print(json.dumps(out))
"#;

#[test]
fn rpm_agrees_with_librpm_label_compare() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    if !python_has("rpm") {
        return common::tool_missing("python3-rpm (/usr/bin/python3 -c 'import rpm')");
    }
    let versions: Vec<String> = common::rpm_versions(&corpus).into_iter().collect();
    assert!(
        versions.len() > 300,
        "too few rpm versions harvested: {}",
        versions.len()
    );
    let pairs = pairs(
        &versions,
        RPM_TRICKY,
        |s| Version::parse(Scheme::Rpm, s).ok(),
        |a, b| a.cmp(b),
        400,
        400,
    );
    let evr = |s: &str| {
        let v = hull_version::rpm::Evr::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        serde_json::json!([v.epoch(), v.version(), v.release()])
    };
    let input = serde_json::Value::Array(
        pairs
            .iter()
            .map(|(a, b)| serde_json::json!([evr(a), evr(b)]))
            .collect(),
    );
    let out = run(
        Command::new("/usr/bin/python3").args(["-c", RPM_SCRIPT]),
        &input.to_string(),
    )
    .expect("python3-rpm batch failed");
    let answers: Vec<i64> = serde_json::from_str(&out).expect("rpm output");
    assert_eq!(answers.len(), pairs.len());
    let mut bad = Vec::new();
    for ((a, b), want) in pairs.iter().zip(answers) {
        let want = want.cmp(&0);
        let got = hull_version::compare(Scheme::Rpm, a, b);
        if got != Ok(want) {
            bad.push(format!("{a} vs {b}: rpm {want:?}, hull {got:?}"));
        }
    }
    report("rpm.labelCompare", pairs.len(), &bad);
}

const PEP440_TRICKY: &[&str] = &[
    "1.0",
    "1.0.0",
    "1.0.0a1",
    "1.0.0.a1",
    "1.0a1",
    "1.0alpha1",
    "1.0b1",
    "1.0c1",
    "1.0rc1",
    "1.0pre1",
    "1.0.dev0",
    "1.0a1.dev0",
    "1.0.post1",
    "1.0-1",
    "1.0r1",
    "1.0.post1.dev2",
    "1.0+local",
    "1.0+local.1",
    "1.0+1",
    "1.0+abc.5",
    "1!0.1",
    "v1.0",
    "1.0RC1",
    "1.0-dev",
    "0.9.99999999999999999999",
    "1.0.0.0.0.1",
    "2.0b1.post2",
    "1.0_a_1",
    "1.0.a.1",
    "1.0-c-1",
];

const PEP440_INVALID: &[&str] = &[
    "",
    "foo",
    "1.0.",
    "1.0a1a",
    "1.0+",
    "1.0+a..b",
    "1!",
    "1.0 1",
    "dev",
    "1.0-",
    "1.0.x",
    "1.0+local!",
    "1.0-a1-b2",
    "2.0-beta-1-dev",
    "1.0.post",
    "1.0.0-alpha.1",
    "5.3.0.post20200312",
    "2.7.0-rc1",
    "0.1.0-SNAPSHOT",
    "1.0_final",
];

const PACKAGING_SCRIPT: &str = r#"
import json, sys
from packaging.version import Version, InvalidVersion
from packaging.specifiers import SpecifierSet
req = json.load(sys.stdin)
def valid(s):
    try:
        Version(s)
        return True
    except InvalidVersion:
        return False
def cmp(a, b):
    a, b = Version(a), Version(b)
    return (a > b) - (a < b)
print(json.dumps({
    "valid": [valid(s) for s in req["valid"]],
    "cmp": [cmp(a, b) for a, b in req["pairs"]],
    "spec": [SpecifierSet(s).contains(v, prereleases=True) for s, v in req["spec"]],
}))
"#;

const SPECS: &[&str] = &[
    "~=1.4.2, !=1.4.5",
    "~=2.2",
    "~=1.0.0a1",
    "==1.4.*",
    "!=1.0.*",
    "==1.0",
    "==1.0+local",
    "!=1.0",
    "<2.0",
    "<=2.0",
    ">1.0",
    ">=1.0, <2.0",
    ">1.0.post1",
    "<1.0rc1",
    ">=1.0a1",
    "===1.0",
    "==1!0.*",
    ">= 1.0 , < 3.0 , != 2.0.*",
    "",
];

#[test]
fn pep440_agrees_with_python_packaging() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    if !python_has("packaging.specifiers") {
        return common::tool_missing("python3-packaging (/usr/bin/python3 -c 'import packaging')");
    }
    let mut strings: Vec<String> = common::pep440_strings(&corpus).into_iter().collect();
    assert!(
        strings.len() > 1000,
        "too few PEP 440 strings harvested: {}",
        strings.len()
    );
    strings.extend(
        PEP440_TRICKY
            .iter()
            .chain(PEP440_INVALID)
            .map(|s| s.to_string()),
    );
    let pairs = pairs(
        &strings,
        PEP440_TRICKY,
        |s| Version::parse(Scheme::Pep440, s).ok(),
        |a, b| a.cmp(b),
        1500,
        1500,
    );
    let mut spec_pairs = Vec::new();
    let sample: Vec<&str> = PEP440_TRICKY
        .iter()
        .copied()
        .chain([
            "1.4.1",
            "1.4.2",
            "1.4.5",
            "1.4.9",
            "1.5",
            "2.0.dev1",
            "2.0rc1",
            "2.0",
            "2.0.1",
            "2.0+x",
            "1.0.post1",
            "1.0.post2",
            "0.9",
            "3.0",
        ])
        .collect();
    for s in SPECS {
        for v in &sample {
            spec_pairs.push((s.to_string(), v.to_string()));
        }
    }
    let req = serde_json::json!({"valid": strings, "pairs": pairs, "spec": spec_pairs});
    let out = run(
        Command::new("/usr/bin/python3").args(["-c", PACKAGING_SCRIPT]),
        &req.to_string(),
    )
    .expect("packaging batch failed");
    let resp: serde_json::Value = serde_json::from_str(&out).expect("packaging output");

    let mut bad = Vec::new();
    let valid = resp["valid"].as_array().expect("valid");
    for (s, want) in strings.iter().zip(valid) {
        let got = Version::parse(Scheme::Pep440, s).is_ok();
        if Some(got) != want.as_bool() {
            bad.push(format!("{s:?}: packaging valid={want}, hull valid={got}"));
        }
    }
    let cmp = resp["cmp"].as_array().expect("cmp");
    for ((a, b), want) in pairs.iter().zip(cmp) {
        let want = want.as_i64().unwrap_or(99).cmp(&0);
        let got = hull_version::compare(Scheme::Pep440, a, b);
        if got != Ok(want) {
            bad.push(format!("{a} vs {b}: packaging {want:?}, hull {got:?}"));
        }
    }
    let spec = resp["spec"].as_array().expect("spec");
    for ((s, v), want) in spec_pairs.iter().zip(spec) {
        let got = Constraint::parse(Scheme::Pep440, s)
            .map(|c| c.matches(&Version::parse(Scheme::Pep440, v).expect("sample parses")));
        if got.as_ref().ok() != want.as_bool().as_ref() {
            bad.push(format!("{v} in {s:?}: packaging {want}, hull {got:?}"));
        }
    }
    report(
        "python packaging",
        strings.len() + pairs.len() + spec_pairs.len(),
        &bad,
    );
}

const MAVEN_TRICKY: &[&str] = &[
    "1.0",
    "1.0.0",
    "1-SNAPSHOT",
    "1.0-SNAPSHOT",
    "1.0-alpha-1",
    "1.0-alpha1",
    "1.0a1",
    "1.0.a1",
    "1.0-beta",
    "1.0-b2",
    "1.0-m1",
    "1.0-milestone-1",
    "1.0-rc1",
    "1.0-cr1",
    "1.0.RC1",
    "1.0-ga",
    "1.0.Final",
    "1.0.RELEASE",
    "1.0-sp",
    "1.0-sp1",
    "1.0.SP1",
    "1.0-1",
    "1.0.1",
    "1.0-xyz",
    "1.0.xyz",
    "1.0-123",
    "9.4.43.v20210629",
    "31.1-jre",
    "31.1-android",
    "2.13.4.2",
    "2.13.4-1",
    "1-1.foo-bar1baz-.1",
    "1.0.0-M1",
    "5.3.20.RELEASE",
    "4.1.91.Final",
    "2.0-beta9",
    "2.4.0-rc1",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0.0.0.1",
    "1..0",
    "1-",
    "1.0-",
    "-1",
    ".1",
    "1.a.b",
    "1.x.2",
    "1.0.final.1",
    "1.0-1.a",
    "2.0.a",
    "2.0.0.a",
    "2-1",
    "11.a",
    "11b",
    "1-0.1",
];

/// Versions built from Maven's building blocks (numbers, separators, qualifiers).
fn maven_synthetic() -> Vec<String> {
    let bases = ["1", "1.0", "1.0.0", "1.1", "2"];
    let seps = [".", "-", ""];
    let quals = [
        "alpha",
        "a1",
        "beta",
        "b2",
        "m3",
        "milestone",
        "rc",
        "cr",
        "snapshot",
        "ga",
        "final",
        "release",
        "sp",
        "sp1",
        "xyz",
        "1",
        "0",
        "jre",
        "RC2",
        "Final",
    ];
    let mut out = Vec::new();
    for b in bases {
        for sep in seps {
            for q in quals {
                out.push(format!("{b}{sep}{q}"));
            }
        }
    }
    out
}

fn maven_jar() -> Option<&'static str> {
    [
        "/usr/share/java/maven-artifact-3.x.jar",
        "/usr/share/maven/lib/maven-artifact-3.x.jar",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).exists())
}

#[test]
fn maven_agrees_with_maven_comparable_version() {
    let (Some(jar), true) = (maven_jar(), std::path::Path::new("/usr/bin/java").exists()) else {
        return common::tool_missing(
            "java and maven-artifact (libmaven3-core-java, default-jre-headless)",
        );
    };
    let mut versions: Vec<String> = maven_synthetic();
    if let Some(corpus) = common::corpus() {
        // versions named by the GHSA Maven advisories and the jars of app-debian
        let ghsa = corpus.join("feeds/ghsa/advisories");
        let mut stack = vec![ghsa];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).into_iter().flatten().flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if let Ok(text) = std::fs::read_to_string(&p) {
                    if let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) {
                        for a in doc["affected"].as_array().into_iter().flatten() {
                            if a["package"]["ecosystem"] != "Maven" {
                                continue;
                            }
                            for r in a["ranges"].as_array().into_iter().flatten() {
                                for ev in r["events"].as_array().into_iter().flatten() {
                                    for v in ev.as_object().into_iter().flatten().map(|(_, v)| v) {
                                        versions.extend(
                                            v.as_str().filter(|v| *v != "0").map(String::from),
                                        );
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
    let pairs = pairs(
        &versions,
        MAVEN_TRICKY,
        |s| Version::parse(Scheme::Maven, s).ok(),
        |a, b| a.cmp(b),
        400,
        600,
    );
    // ComparableVersion's main compares each argument with the next: pass a, b, a, b, …
    let args: Vec<&str> = pairs
        .iter()
        .flat_map(|(a, b)| [a.as_str(), b.as_str()])
        .collect();
    let out = Command::new("/usr/bin/java")
        .args([
            "-cp",
            jar,
            "org.apache.maven.artifact.versioning.ComparableVersion",
        ])
        .args(&args)
        .output()
        .expect("java runs");
    assert!(
        out.status.success(),
        "java failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let answers: Vec<(String, String, String)> = text
        .lines()
        .filter(|l| l.starts_with("   "))
        .filter_map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            (w.len() == 3).then(|| (w[0].to_string(), w[1].to_string(), w[2].to_string()))
        })
        .collect();
    assert_eq!(
        answers.len(),
        args.len() - 1,
        "one answer per adjacent pair"
    );
    let mut bad = Vec::new();
    for (a, op, b) in &answers {
        let want = match op.as_str() {
            "<" => Ordering::Less,
            "==" => Ordering::Equal,
            _ => Ordering::Greater,
        };
        let got = hull_version::compare(Scheme::Maven, a, b);
        if got != Ok(want) {
            bad.push(format!("{a} vs {b}: maven {op}, hull {got:?}"));
        }
    }
    report("maven ComparableVersion", answers.len(), &bad);
}

/// node-semver as Debian ships it (`node-semver`), or the copy bundled with npm.
fn node_semver() -> Option<&'static str> {
    [
        "/usr/share/nodejs/semver",
        "/usr/lib/node_modules/npm/node_modules/semver",
    ]
    .into_iter()
    .find(|p| std::path::Path::new(p).join("package.json").exists())
}

const NODE_SCRIPT: &str = r#"
const semver = require(process.argv[1]);
let input = '';
process.stdin.on('data', d => input += d);
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const out = {
    valid: req.valid.map(v => semver.valid(v, { loose: true }) !== null),
    cmp: req.cmp.map(([a, b]) => { try { return semver.compare(a, b, { loose: true }); } catch (e) { return null; } }),
    range: req.sat.map(([r, v]) => semver.validRange(r) !== null),
    sat: req.sat.map(([r, v]) => semver.satisfies(v, r)),
  };
  process.stdout.write(JSON.stringify(out));
});
"#;

// Not here: " 1.2.3 " (surrounding blanks), valid in node-semver 7.8 but not 7.3.
const NPM_TRICKY: &[&str] = &[
    "1.0.0",
    "v1.0.0",
    "=1.0.0",
    "1.0.0-0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0+build",
    "1.0.0-rc.1+b",
    "01.2.3",
    "1.02.3",
    "1.2.03",
    "1.2.3-01",
    "1.2",
    "1",
    "1.2.3.4",
    "1.2.3-",
    "x",
    "1.2.3-a-b",
    "1.2.3--",
    "99999999999999999999.0.0",
    "0.0.0",
    "4.17.4",
    "4.17.21",
    "0.0.8",
];

const NPM_RANGES: &[&str] = &[
    "^4.16.0",
    "^4.17.4",
    "^0.0.8",
    "~1.2.3",
    "~1.2",
    "~1",
    "^1.2",
    "^0.2.3",
    "^0.0.3",
    "^0.0",
    "1.2.x",
    "1.x",
    "*",
    "",
    "1.2.3 - 2.3.4",
    "1.2 - 2.3",
    ">1.2",
    "<=1.2",
    "<1.2.0-0",
    ">= 1.2.3",
    "^1.2 || >=2.0.0 <3",
    ">=1.0.0-beta.1 <1.0.0",
    "~1.0.0-alpha",
    "^1.0.0-0",
    "<4.17.5",
    ">=4.0.0 <4.17.21",
    "1.0.0 || 2.0.0",
    "~> 1.2",
    ">=*",
    "<*",
    "x - 1.x",
    "^x",
    "=1.0.0",
    "v1.0.0",
    ">01.2.3",
    "1.2.3 - ",
    "^a",
    ">=1.0.0 <=1.0.0-rc.1",
];

#[test]
fn npm_agrees_with_node_semver() {
    let (Some(module), true) = (
        node_semver(),
        std::path::Path::new("/usr/bin/node").exists(),
    ) else {
        return common::tool_missing("node and node-semver (Debian packages nodejs, node-semver)");
    };
    let mut versions: Vec<String> = NPM_TRICKY.iter().map(|s| s.to_string()).collect();
    if let Some(corpus) = common::corpus() {
        if let Ok(text) = std::fs::read_to_string(corpus.join("truth/app-debian.json")) {
            if let Ok(j) = serde_json::from_str::<serde_json::Value>(&text) {
                for p in j["npm"].as_array().into_iter().flatten() {
                    versions.extend(p["version"].as_str().map(String::from));
                }
            }
        }
    }
    versions.sort();
    versions.dedup();
    let cmp_pairs = pairs(
        &versions,
        NPM_TRICKY,
        |s| Version::parse(Scheme::Npm, s).ok(),
        |a, b| a.cmp(b),
        200,
        300,
    );
    // node-semver's compare throws on invalid input: only compare what both accept.
    let cmp_pairs: Vec<(String, String)> = cmp_pairs
        .into_iter()
        .filter(|(a, b)| {
            Version::parse(Scheme::Npm, a).is_ok() && Version::parse(Scheme::Npm, b).is_ok()
        })
        .collect();
    // `satisfies` reads the version strictly in node-semver: probe with versions that
    // are valid without loose mode (installed npm versions always are).
    let probe: Vec<String> = versions
        .iter()
        .filter(|v| Version::parse(Scheme::Semver, v.trim_start_matches('v')).is_ok())
        .filter(|v| Version::parse(Scheme::Npm, v).is_ok())
        .cloned()
        .collect();
    let mut sat = Vec::new();
    for r in NPM_RANGES {
        for v in &probe {
            sat.push((r.to_string(), v.clone()));
        }
    }
    let req = serde_json::json!({"valid": versions, "cmp": cmp_pairs, "sat": sat});
    let out = run(
        // Debian's node modules resolve their dependencies through /usr/share/nodejs,
        // which a node not built by Debian does not search by itself.
        Command::new("/usr/bin/node")
            .env("NODE_PATH", "/usr/share/nodejs")
            .args(["-e", NODE_SCRIPT, module]),
        &req.to_string(),
    )
    .expect("node-semver batch failed");
    let resp: serde_json::Value = serde_json::from_str(&out).expect("node output");
    let mut bad = Vec::new();
    for (v, want) in versions
        .iter()
        .zip(resp["valid"].as_array().expect("valid"))
    {
        let got = Version::parse(Scheme::Npm, v).is_ok();
        if Some(got) != want.as_bool() {
            bad.push(format!("{v:?}: node-semver valid={want}, hull valid={got}"));
        }
    }
    for ((a, b), want) in cmp_pairs.iter().zip(resp["cmp"].as_array().expect("cmp")) {
        let want = want.as_i64().unwrap_or(99).cmp(&0);
        let got = hull_version::compare(Scheme::Npm, a, b);
        if got != Ok(want) {
            bad.push(format!("{a} vs {b}: node-semver {want:?}, hull {got:?}"));
        }
    }
    let valid_range = resp["range"].as_array().expect("range");
    let satisfied = resp["sat"].as_array().expect("sat");
    for (((r, v), ok), want) in sat.iter().zip(valid_range).zip(satisfied) {
        let got = hull_version::satisfies(Scheme::Npm, v, r);
        match (ok.as_bool(), got) {
            (Some(true), Ok(g)) if Some(g) == want.as_bool() => {}
            (Some(false), Err(_)) => {}
            (ok, got) => bad.push(format!(
                "{v} in {r:?}: node-semver valid={ok:?} sat={want}, hull {got:?}"
            )),
        }
    }
    report(
        "node-semver",
        versions.len() + cmp_pairs.len() + sat.len(),
        &bad,
    );
}
