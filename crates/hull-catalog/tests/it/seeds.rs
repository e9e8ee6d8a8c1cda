//! Replays the seed corpora of the fuzz targets this crate owns through the same entry
//! points the targets use, so CI covers them without a fuzzer.

use hull_catalog::analyzers::{rpm, ALL};
use hull_catalog::FileInput;
use hull_model::ImagePath;

/// Target → the image path its bytes are offered at (`None`: the rpm header decoder).
/// `min_packages`: each seed is a valid sample, so it must yield at least this many.
const TARGETS: &[(&str, Option<&str>, usize)] = &[
    ("catalog_dpkg_status", Some("var/lib/dpkg/status"), 1),
    ("catalog_apk_installed", Some("lib/apk/db/installed"), 1),
    ("catalog_os_release", Some("etc/os-release"), 0),
    ("catalog_rpm_header", None, 1),
    ("catalog_rpm_bdb", Some("var/lib/rpm/Packages"), 1),
    ("catalog_rpm_ndb", Some("var/lib/rpm/Packages.db"), 1),
    ("catalog_rpm_sqlite", Some("var/lib/rpm/rpmdb.sqlite"), 1),
];

#[test]
fn fuzz_seeds_replay() {
    for (target, path, min_packages) in TARGETS {
        let dir = crate::repo_root().join("fuzz/corpus").join(target);
        let seeds: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .map(|e| e.unwrap().path())
            .collect();
        assert!(!seeds.is_empty(), "{target}: no seeds");
        for seed in seeds {
            let data = std::fs::read(&seed).unwrap();
            let name = seed.display();
            let Some(path) = path else {
                let parsed = rpm::parse_header(&data).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(parsed.is_some(), "{name}: no package");
                continue;
            };
            let path = ImagePath::new(path).unwrap();
            let input = FileInput {
                path: &path,
                mode: 0o644,
                data: &data,
            };
            let mut ran = 0;
            for a in ALL
                .iter()
                .filter(|a| (a.wants)(&path, 0o644, data.len() as u64))
            {
                let found = (a.parse)(&input).unwrap_or_else(|e| panic!("{name}: {e}"));
                assert!(found.packages.len() >= *min_packages, "{name}: {found:?}");
                if *target == "catalog_os_release" {
                    assert!(found.distro.is_some(), "{name}: no distro");
                }
                ran += 1;
            }
            assert!(ran > 0, "{name}: no analyzer wants {path}");
            // Every prefix of a valid seed is hostile input too: none may panic.
            for cut in (0..data.len()).step_by((data.len() / 64).max(1)) {
                let input = FileInput {
                    path: &path,
                    mode: 0o644,
                    data: &data[..cut],
                };
                for a in ALL.iter().filter(|a| (a.wants)(&path, 0o644, cut as u64)) {
                    let _ = (a.parse)(&input);
                }
            }
        }
    }
}
