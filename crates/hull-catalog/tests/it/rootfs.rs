//! `catalog` through `hull-image` on a root filesystem built by the test: symlinked
//! release files, a distroless-style status.d, an rpm database and file ownership.

use std::os::unix::fs::symlink;

use hull_catalog::analyzers::rpm;

#[test]
fn rootfs_with_symlinked_release_and_three_databases() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mk = |rel: &str, data: &[u8]| {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    };
    mk("usr/lib/os-release", b"ID=centos\nVERSION_ID=\"8\"\n");
    mk(
        "etc/centos-release",
        b"CentOS Linux release 8.2.2004 (Core)\n",
    );
    std::fs::create_dir_all(root.join("etc")).unwrap();
    symlink("../usr/lib/os-release", root.join("etc/os-release")).unwrap();
    symlink("centos-release", root.join("etc/redhat-release")).unwrap();
    let blobs = vec![rpm::sample_header(
        "bash",
        Some(2),
        "4.4.19",
        "10.el8",
        "bash-4.4.19-10.el8.src.rpm",
    )];
    mk("var/lib/rpm/Packages.db", &rpm::ndb::build(&blobs));
    mk(
        "var/lib/dpkg/status.d/tzdata",
        b"Package: tzdata\nVersion: 2024a-1\nArchitecture: all\n",
    );
    // A gone-wrong database is a diagnostic, not an error.
    mk(
        "var/lib/rpm/rpmdb.sqlite",
        b"SQLite format 3\0 but not really a database",
    );

    let image = hull_image::open(&format!("dir:{}", root.display()), &Default::default()).unwrap();
    let inv = hull_catalog::catalog(&image, &Default::default()).unwrap();
    let d = inv.distro.as_ref().expect("distro");
    assert_eq!(
        (d.id.as_str(), d.version_id.as_str()),
        ("centos", "8.2.2004")
    );
    let got: Vec<_> = inv
        .packages
        .iter()
        .map(|p| (p.found_by.as_str(), p.purl.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("dpkg", "pkg:deb/debian/tzdata@2024a-1?arch=all"),
            (
                "rpm",
                "pkg:rpm/centos/bash@4.4.19-10.el8?arch=x86_64&distro=centos-8.2.2004&epoch=2"
            ),
        ]
    );
    assert_eq!(inv.packages[1].version, "2:4.4.19-10.el8");
    assert_eq!(inv.diagnostics.len(), 1, "{:?}", inv.diagnostics);
    assert_eq!(inv.diagnostics[0].source, "rpm");
}
