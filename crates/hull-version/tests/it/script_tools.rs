//! RubyGems and Composer answers checked against the real implementations: Ruby's
//! `Gem::Version` / `Gem::Requirement` (Debian `ruby`) and Composer's `composer/semver`
//! library (Debian `php-composer-semver`, run with `php`). One process per tool.

use std::io::Write;
use std::process::{Command, Stdio};

use hull_version::{satisfies, Scheme, Version};

use crate::common::{self, pairs};

fn run(cmd: &mut Command, input: &str) -> String {
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("tool starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("tool runs");
    assert!(
        out.status.success(),
        "tool failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).to_string()
}

/// Compare hull with a tool's JSON answers (`valid`, `cmp`, `sat`; `null` = refused).
fn check(
    tool: &str,
    scheme: Scheme,
    resp: &serde_json::Value,
    versions: &[String],
    cmp: &[(String, String)],
    sat: &[(String, String)],
) {
    let mut bad = Vec::new();
    for (v, want) in versions
        .iter()
        .zip(resp["valid"].as_array().expect("valid"))
    {
        let got = Version::parse(scheme, v).is_ok();
        if Some(got) != want.as_bool() {
            bad.push(format!("{v:?}: {tool} valid={want}, hull valid={got}"));
        }
    }
    for ((a, b), want) in cmp.iter().zip(resp["cmp"].as_array().expect("cmp")) {
        let want = want.as_i64().map(|w| w.cmp(&0));
        let got = hull_version::compare(scheme, a, b).ok();
        if got != want {
            bad.push(format!("{a} vs {b}: {tool} {want:?}, hull {got:?}"));
        }
    }
    for ((c, v), want) in sat.iter().zip(resp["sat"].as_array().expect("sat")) {
        let got = satisfies(scheme, v, c).ok();
        if got != want.as_bool() {
            bad.push(format!("{v} in {c:?}: {tool} {want}, hull {got:?}"));
        }
    }
    let n = versions.len() + cmp.len() + sat.len();
    eprintln!("{tool}: {n} checks, {} disagreements", bad.len());
    for b in bad.iter().take(25) {
        eprintln!("  {b}");
    }
    assert!(
        bad.is_empty(),
        "hull disagrees with {tool} on {} checks",
        bad.len()
    );
}

const RUBY_SCRIPT: &str = r#"
require 'json'
req = JSON.parse(STDIN.read)
valid = req['valid'].map { |v| Gem::Version.correct?(v) ? true : false }
cmp = req['cmp'].map { |a, b| (Gem::Version.new(a) <=> Gem::Version.new(b)) rescue nil }
sat = req['sat'].map do |r, v|
  begin
    Gem::Requirement.new(*r.split(',').map(&:strip)).satisfied_by?(Gem::Version.new(v))
  rescue StandardError
    nil
  end
end
print JSON.generate({ 'valid' => valid, 'cmp' => cmp, 'sat' => sat })
"#;

const GEM_TRICKY: &[&str] = &[
    "1",
    "1.0",
    "1.0.0",
    "1.0.a",
    "1.0.a1",
    "1.0.a.1",
    "1.0.b",
    "1.0.rc1",
    "1.0.pre",
    "1.0.0.pre.1",
    "1.0-a",
    "1.0-rc.1",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.A",
    "1.0.Z",
    "2.3",
    "2.3.1",
    "2.3.9",
    "2.4",
    "3.0",
    "5.2.4.3",
    "6.0.0.rc1",
    "0",
    "0.0.1",
    "10.0",
    "1.10",
    "1.9.99",
    "1.2.d.42",
    "22.1.50.0.d",
    "1.8.2.a10",
    "1.8.2.a9",
    "",
    "a",
    "1..2",
    "1.2.",
    "1_2",
    "1.0-",
    "-1",
];

const GEM_REQS: &[&str] = &[
    "~> 2.3",
    "~> 2.3.1",
    "~> 2",
    "~> 1.0.0.rc1",
    ">= 1.0, < 2.0",
    "!= 1.0",
    "= 1.0",
    "1.0",
    "> 1.0.a",
    "< 2.0.pre",
    ">= 0",
    "<= 5.2.4.3",
    "> 2.3, < 2.4, != 2.3.5",
];

#[test]
fn rubygems_agrees_with_gem_version() {
    if !std::path::Path::new("/usr/bin/ruby").exists() {
        return common::tool_missing("ruby (Debian package ruby)");
    }
    let versions: Vec<String> = GEM_TRICKY.iter().map(|s| s.to_string()).collect();
    let cmp = pairs(
        &versions,
        GEM_TRICKY,
        |s| Version::parse(Scheme::RubyGems, s).ok(),
        |a, b| a.cmp(b),
        0,
        0,
    )
    .into_iter()
    .filter(|(a, b)| {
        Version::parse(Scheme::RubyGems, a).is_ok() && Version::parse(Scheme::RubyGems, b).is_ok()
    })
    .collect::<Vec<_>>();
    let good: Vec<&String> = versions
        .iter()
        .filter(|v| Version::parse(Scheme::RubyGems, v).is_ok())
        .collect();
    let sat: Vec<(String, String)> = GEM_REQS
        .iter()
        .flat_map(|r| good.iter().map(move |v| (r.to_string(), v.to_string())))
        .collect();
    let req = serde_json::json!({"valid": versions, "cmp": cmp, "sat": sat});
    let out = run(
        Command::new("/usr/bin/ruby").args(["-e", RUBY_SCRIPT]),
        &req.to_string(),
    );
    let resp: serde_json::Value = serde_json::from_str(&out).expect("ruby output");
    check(
        "Gem::Version",
        Scheme::RubyGems,
        &resp,
        &versions,
        &cmp,
        &sat,
    );
}

const PHP_SCRIPT: &str = r#"
require '/usr/share/php/Composer/Semver/autoload.php';
use Composer\Semver\VersionParser;
use Composer\Semver\Semver;
$req = json_decode(stream_get_contents(STDIN), true);
$p = new VersionParser();
$norm = function ($v) use ($p) { try { return $p->normalize($v); } catch (\Throwable $e) { return null; } };
$valid = array_map(function ($v) use ($norm) { return $norm($v) !== null; }, $req['valid']);
$cmp = array_map(function ($ab) use ($norm) {
    $a = $norm($ab[0]); $b = $norm($ab[1]);
    return ($a === null || $b === null) ? null : version_compare($a, $b);
}, $req['cmp']);
$sat = array_map(function ($cv) use ($norm) {
    if ($norm($cv[1]) === null) { return null; }
    try { return Semver::satisfies($cv[1], $cv[0]); } catch (\Throwable $e) { return null; }
}, $req['sat']);
echo json_encode(['valid' => $valid, 'cmp' => $cmp, 'sat' => $sat]);
"#;

const COMPOSER_TRICKY: &[&str] = &[
    "1.0.0",
    "1.0",
    "1",
    "v1.0.0",
    "1.0.0.0",
    "1.0.0.1",
    "1.0.0-dev",
    "1.0.0-alpha",
    "1.0.0-alpha2",
    "1.0.0-a3",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-b2",
    "1.0.0-RC1",
    "1.0.0-rc.2",
    "1.0.0-p1",
    "1.0.0-pl2",
    "1.0.0-patch3",
    "1.0.0-stable",
    "1.0.0RC1dev",
    "1.0.0-beta2-dev",
    "1.2.3+build",
    "2.0.0",
    "10.4.13beta.2",
    "5.4.2",
    "5.4.20",
    "0.3.9",
    "0.4.0",
    "1.0.0-meh",
    "",
];
// Not here: branch names (`dev-master`, `1.x-dev`), which Composer normalises to
// pseudo-versions and hull refuses on purpose (a branch has no place in a version order).

const COMPOSER_CONSTRAINTS: &[&str] = &[
    "^1.2|~2.0",
    "~1.2.3",
    "~1.2",
    "^0.3",
    "^0.0.3",
    "1.0.*",
    "2.*",
    ">=1.0 <2.0",
    ">=1.0,<1.5",
    "<1.0.0",
    ">=1.0.0",
    "1.0 - 2.0",
    "1.0.0 - 2.1.0",
    "!=1.0.0",
    "^1.0.0 || ^5.0",
    "*",
    ">2.0,<2.0.5 | >2.0.6",
    "~1.0-beta",
    "<=1.0.0-RC1",
    ">1.0.0-beta",
];

#[test]
fn composer_agrees_with_composer_semver() {
    if !std::path::Path::new("/usr/bin/php").exists()
        || !std::path::Path::new("/usr/share/php/Composer/Semver/autoload.php").exists()
    {
        return common::tool_missing(
            "php and composer/semver (Debian packages php-cli, php-composer-semver)",
        );
    }
    let versions: Vec<String> = COMPOSER_TRICKY.iter().map(|s| s.to_string()).collect();
    let cmp = pairs(
        &versions,
        COMPOSER_TRICKY,
        |s| Version::parse(Scheme::Composer, s).ok(),
        |a, b| a.cmp(b),
        0,
        0,
    )
    .into_iter()
    .filter(|(a, b)| {
        Version::parse(Scheme::Composer, a).is_ok() && Version::parse(Scheme::Composer, b).is_ok()
    })
    .collect::<Vec<_>>();
    let good: Vec<&String> = versions
        .iter()
        .filter(|v| Version::parse(Scheme::Composer, v).is_ok())
        .collect();
    let sat: Vec<(String, String)> = COMPOSER_CONSTRAINTS
        .iter()
        .flat_map(|c| good.iter().map(move |v| (c.to_string(), v.to_string())))
        .collect();
    let req = serde_json::json!({"valid": versions, "cmp": cmp, "sat": sat});
    let out = run(
        Command::new("/usr/bin/php").args(["-r", PHP_SCRIPT]),
        &req.to_string(),
    );
    let resp: serde_json::Value = serde_json::from_str(&out).expect("php output");
    check(
        "composer/semver",
        Scheme::Composer,
        &resp,
        &versions,
        &cmp,
        &sat,
    );
}
