//! Regenerates the seed files of the catalog fuzz targets (run from the repo root):
//! `cargo run -p hull-catalog --example fuzz_seeds`.

use hull_catalog::analyzers::rpm::{self, bdb, header, ndb, sqlite};
fn w(t: &str, n: &str, d: &[u8]) {
    let dir = format!("fuzz/corpus/{t}");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(format!("{dir}/{n}"), d).unwrap();
}
fn main() {
    let blobs = vec![
        rpm::sample_header(
            "openssl-libs",
            Some(1),
            "1.0.2k",
            "12.el7",
            "openssl-1.0.2k-12.el7.src.rpm",
        ),
        rpm::sample_header(
            "bash",
            None,
            "4.4.19",
            "10.el8",
            "bash-4.4.19-10.el8.src.rpm",
        ),
        header::build(&[header::s(header::NAME, "gpg-pubkey")]),
    ];
    w("catalog_rpm_header", "epoch", &blobs[0]);
    w("catalog_rpm_header", "plain", &blobs[1]);
    w("catalog_rpm_bdb", "le", &bdb::build(&blobs, true, 100));
    w("catalog_rpm_bdb", "be", &bdb::build(&blobs, false, 400));
    w("catalog_rpm_ndb", "two", &ndb::build(&blobs));
    w(
        "catalog_rpm_sqlite",
        "wal",
        &sqlite::build(&blobs[..2]).unwrap(),
    );
    w("catalog_dpkg_status", "status", b"Package: bsdutils\nStatus: install ok installed\nArchitecture: amd64\nSource: util-linux (2.33.1-0.1)\nVersion: 1:2.33.1-0.1\nDescription: x\n more\n .\n\nPackage: old\nStatus: deinstall ok config-files\nVersion: 1\n\nPackage: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u2\n");
    w("catalog_apk_installed", "installed", b"C:Q1a4=\nP:musl\nV:1.1.20-r4\nA:x86_64\nL:MIT\no:musl\nF:lib\nR:libc.musl-x86_64.so.1\nF:usr\n\nP:libcrypto1.1\nV:1.1.1b-r1\no:openssl\n");
    w("catalog_os_release", "centos", b"NAME=\"CentOS Linux\"\nID=\"centos\"\nID_LIKE=\"rhel fedora\"\nVERSION_ID=\"8\"\nPRETTY_NAME=\"CentOS Linux 8 (Core)\"\n");
    w("catalog_os_release", "quoted", b"# c\nID=debian\nVERSION_ID='12'\nPRETTY_NAME=\"a \\\"b\\\"\"\nVERSION_CODENAME=bookworm\n");
}
