//! Check ids are unique, kebab-case and documented (docs/checks.md is generated from
//! the table; regenerate with `HULL_UPDATE_DOCS=1 cargo test -p hull-audit docs`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use hull_audit::catalog;
use hull_audit::checks::markdown;

fn docs_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/checks.md")
}

#[test]
fn docs_ids_unique_and_documented() {
    let cat = catalog();
    let mut seen = BTreeSet::new();
    for c in &cat {
        assert!(seen.insert(c.id.clone()), "duplicate check id {}", c.id);
        let (prefix, slug) = c.id.split_once(':').expect("id has a kind prefix");
        assert_eq!(prefix, c.kind.prefix());
        assert!(
            !slug.is_empty()
                && slug
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
            "{} is not kebab-case",
            c.id
        );
        assert!(
            !c.title.is_empty() && !c.description.is_empty() && !c.remediation.is_empty(),
            "{} lacks text",
            c.id
        );
        assert!(!c.references.is_empty(), "{} has no reference", c.id);
    }
    let generated = markdown();
    if std::env::var_os("HULL_UPDATE_DOCS").is_some() {
        std::fs::write(docs_path(), &generated).unwrap();
    }
    let committed = std::fs::read_to_string(docs_path()).expect("docs/checks.md exists");
    for c in &cat {
        assert!(
            committed.contains(&format!("\n## {}\n", c.id)),
            "{} is not documented in docs/checks.md",
            c.id
        );
    }
    assert_eq!(
        committed, generated,
        "docs/checks.md is stale: run HULL_UPDATE_DOCS=1 cargo test -p hull-audit docs"
    );
}

/// Every file check and image-config check is documented once in
/// docs/content-checks.md, with an id that is unique and kebab-case.
#[test]
fn docs_content_checks_documented_once() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/content-checks.md");
    let generated = hull_audit::content::markdown();
    if std::env::var_os("HULL_UPDATE_DOCS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).expect("docs/content-checks.md exists");
    let mut ids: Vec<String> = hull_audit::content::files::CHECKS
        .iter()
        .map(|c| c.id.to_string())
        .collect();
    for slug in hull_audit::image::IMAGE_CHECKS {
        let id = format!("dockerfile:{slug}");
        assert!(
            catalog().iter().any(|c| c.id == id),
            "{id} is not a dockerfile check of hull config"
        );
        assert!(
            !hull_audit::image::image_source(slug).is_empty(),
            "{id} source"
        );
        ids.push(id);
    }
    let mut seen = BTreeSet::new();
    for id in &ids {
        assert!(seen.insert(id.clone()), "duplicate check id {id}");
        let slug = id.split_once(':').map_or("", |(_, s)| s);
        assert!(
            !slug.is_empty() && slug.chars().all(|ch| ch.is_ascii_lowercase() || ch == '-'),
            "{id} is not kebab-case"
        );
        let heading = format!("\n### {id}\n");
        assert_eq!(
            committed.matches(&heading).count(),
            1,
            "{id} must be documented exactly once in docs/content-checks.md"
        );
    }
    for c in hull_audit::content::files::CHECKS {
        assert!(!c.rationale.is_empty() && !c.title.is_empty(), "{}", c.id);
    }
    assert_eq!(
        committed, generated,
        "docs/content-checks.md is stale: run HULL_UPDATE_DOCS=1 cargo test -p hull-audit docs"
    );
}
