//! Every version in the corpus must parse in its scheme: an unparseable installed
//! version is a package hull could not match at all.

use hull_version::{Scheme, Version};

use crate::common;

fn check(
    scheme: Scheme,
    versions: impl IntoIterator<Item = String>,
    min: usize,
    known_invalid: &[&str],
) {
    let mut total = 0;
    let mut failed = Vec::new();
    let mut invalid_seen = 0;
    for v in versions {
        total += 1;
        if let Err(e) = Version::parse(scheme, &v) {
            if known_invalid.contains(&v.as_str()) {
                invalid_seen += 1;
            } else {
                failed.push(e.to_string());
            }
        } else if known_invalid.contains(&v.as_str()) {
            failed.push(format!("{v:?} should be refused"));
        }
    }
    eprintln!(
        "{scheme}: {total} corpus versions, {} unexpected failures, {invalid_seen} known-invalid refused",
        failed.len()
    );
    for f in failed.iter().take(20) {
        eprintln!("  {f}");
    }
    assert!(total >= min, "{scheme}: only {total} versions harvested");
    assert!(
        failed.is_empty(),
        "{scheme}: {} versions failed",
        failed.len()
    );
}

#[test]
fn corpus_versions_parse() {
    let Some(corpus) = common::corpus() else {
        return;
    };
    check(Scheme::Dpkg, common::dpkg_versions(&corpus), 500, &[]);
    check(Scheme::Rpm, common::rpm_versions(&corpus), 300, &[]);
    // Alpine secdb keys that apk-tools itself refuses (`apk_version_validate`): a
    // Debian-style revision was typed instead of `-rN`. They are errors, which the
    // matcher reports as diagnostics.
    check(
        Scheme::Apk,
        common::apk_versions(&corpus),
        500,
        &["1.11-20-r0", "2.7.16-33", "4.10-1-r1", "57-1-r2"],
    );
}
