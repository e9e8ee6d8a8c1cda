//! `hull db update` for the distro sources, each against a loopback mirror laid out like
//! the real upstream: OSV.dev's `Ubuntu/all.zip` and `SUSE/all.zip`, Amazon Linux's
//! `mirror.list` -> `repodata/repomd.xml` -> `repodata/<hash>-updateinfo.xml.gz`, and
//! endoflife.date's `/api/<product>.json` (as `eol/<product>.json` under the mirror).

use std::io::Write as _;

use hull_model::{FixState, Namespace};
use hull_vulndb::store::Db;
use hull_vulndb::update;

use super::{opts, Reply, Server};

fn zip_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, body) in files {
        w.start_file(name.as_str(), zip::write::SimpleFileOptions::default())
            .unwrap();
        w.write_all(body).unwrap();
    }
    w.finish().unwrap().into_inner()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// Canonical's 36 USN records, zipped as OSV.dev publishes `Ubuntu/all.zip`.
#[test]
fn ubuntu_osv_zip_from_mirror() {
    let Some(c) = crate::corpus() else { return };
    let dir = c.join("feeds/ubuntu-osv/osv/usn");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    files.sort();
    assert_eq!(files.len(), 36);
    let srv = Server::start();
    srv.set("/osv/Ubuntu/all.zip", Reply::Body(zip_of(&files), "\"u1\""));
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["osv:Ubuntu"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    assert_eq!(res[0].records, 36);
    let h = Db::open(&db).unwrap();
    // USN-6451-1 (ncurses) has its 18.04 fix only in Ubuntu Pro.
    let pro = h
        .lookup(&Namespace::distro("ubuntu-pro", "18.04"), "ncurses")
        .unwrap();
    assert!(pro.iter().any(|a| a.id == "USN-6451-1"));
    let std = h
        .lookup(&Namespace::distro("ubuntu", "18.04"), "zlib")
        .unwrap();
    assert!(std.iter().any(|a| a.id == "USN-5355-1"));
}

/// SUSE OSV records as SUSE writes them (binary rpm names, one product and service
/// pack per ecosystem, `-LTSS` for the paid extension); also a fuzz seed and the
/// SLES matching test's fixture.
const SUSE_OSV: &str = include_str!("../../../../../fuzz/corpus/feed_osv/suse-osv.json");

#[test]
fn suse_osv_zip_from_mirror() {
    let srv = Server::start();
    srv.set(
        "/osv/SUSE/all.zip",
        Reply::Body(
            zip_of(&[(
                "SUSE-SU-2022:2140-1.json".into(),
                SUSE_OSV.as_bytes().to_vec(),
            )]),
            "\"s1\"",
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["osv:SUSE"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    let h = Db::open(&db).unwrap();
    let z = h
        .lookup(&Namespace::distro("sles", "15.3"), "libz1")
        .unwrap();
    assert_eq!(z.len(), 1);
    let row = z[0]
        .affected
        .iter()
        .find(|a| a.namespace.as_str() == "sles:15.3")
        .unwrap();
    assert!(row.binary_name, "SUSE names binary rpms");
    assert_eq!(row.fix, FixState::Fixed("1.2.11-150000.3.45.1".into()));
    assert_eq!(
        h.lookup(&Namespace::distro("sles-ltss", "15.3"), "libgcrypt20")
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        h.lookup(&Namespace::distro("opensuse-leap", "15.3"), "libz1")
            .unwrap()
            .len(),
        1
    );
}

/// A `repomd.xml` as createrepo writes it, naming a content-addressed updateinfo.
fn repomd(href: &str) -> Vec<u8> {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<repomd xmlns="http://linux.duke.edu/metadata/repo" xmlns:rpm="http://linux.duke.edu/metadata/rpm">
  <revision>1700000000</revision>
  <data type="primary">
    <checksum type="sha256">0000</checksum>
    <location href="repodata/0000-primary.xml.gz"/>
  </data>
  <data type="updateinfo">
    <checksum type="sha256">1111</checksum>
    <location href="{href}"/>
    <timestamp>1700000000</timestamp>
  </data>
</repomd>
"#
    )
    .into_bytes()
}

/// Amazon Linux 2 from the corpus' real ALAS2 updateinfo excerpt, and AL2023 from the
/// fixture, each through its mirror.list and repomd.xml; a second run is conditional.
#[test]
fn amazon_updateinfo_through_mirror_list_and_repomd() {
    let Some(c) = crate::corpus() else { return };
    let al2 = std::fs::read(
        c.join("feeds/legacy-excerpts/amazon-updateinfo/amazon_linux_2_updateinfo.xml"),
    )
    .unwrap();
    let srv = Server::start();
    let base = srv.base();
    srv.set(
        "/amazon/2/core/latest/x86_64/mirror.list",
        Reply::Body(
            format!("{base}/amazon/2/core/2.0/x86_64/abcdef/\n").into_bytes(),
            "\"m\"",
        ),
    );
    srv.set(
        "/amazon/2/core/2.0/x86_64/abcdef/repodata/repomd.xml",
        Reply::Body(repomd("repodata/2222-updateinfo.xml.gz"), "\"r\""),
    );
    srv.set(
        "/amazon/2/core/2.0/x86_64/abcdef/repodata/2222-updateinfo.xml.gz",
        Reply::Body(gzip(&al2), "\"u2\""),
    );
    let al2023 = include_str!("../../../../../fuzz/corpus/feed_amazon_updateinfo/a.xml");
    srv.set(
        "/amazon/al2023/core/mirrors/latest/x86_64/mirror.list",
        Reply::Body(
            format!("{base}/amazon/al2023/core/guids/f00/x86_64/\n").into_bytes(),
            "\"m\"",
        ),
    );
    srv.set(
        "/amazon/al2023/core/guids/f00/x86_64/repodata/repomd.xml",
        Reply::Body(repomd("repodata/3333-updateinfo.xml.gz"), "\"r\""),
    );
    srv.set(
        "/amazon/al2023/core/guids/f00/x86_64/repodata/3333-updateinfo.xml.gz",
        Reply::Body(gzip(al2023.as_bytes()), "\"u3\""),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&base, &["amazon-alas"]), &|_| {}).unwrap();
    let outcomes: Vec<(&str, &str)> = res
        .iter()
        .map(|r| (r.name.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("amazon-alas:2023", "updated"),
            ("amazon-alas:2", "updated")
        ],
        "{res:?}"
    );
    let h = Db::open(&db).unwrap();
    let k = h.lookup(&Namespace::distro("amzn", "2"), "kernel").unwrap();
    assert!(k.iter().any(|a| a.id == "ALAS2-2018-939"));
    let o = h
        .lookup(&Namespace::distro("amzn", "2023"), "openssl-libs")
        .unwrap();
    assert_eq!(o[0].id, "ALAS2023-2024-501");
    // Unchanged: mirror.list and repomd are read again, the updateinfo answers 304.
    let (res, report) = update::run(&db, &opts(&base, &["amazon-alas"]), &|_| {}).unwrap();
    assert!(res.iter().all(|r| r.outcome == "not-modified"), "{res:?}");
    assert!(report.is_none());
    // A repomd that points outside the repository is refused, the data kept.
    srv.set(
        "/amazon/2/core/2.0/x86_64/abcdef/repodata/repomd.xml",
        Reply::Body(repomd("../../../etc/passwd"), "\"r2\""),
    );
    // (`amazon-alas:2` also selects `amazon-alas:2023` by prefix.)
    let (res, _) = update::run(&db, &opts(&base, &["amazon-alas:2"]), &|_| {}).unwrap();
    let al2 = res.iter().find(|r| r.name == "amazon-alas:2").unwrap();
    assert_eq!(al2.outcome, "failed");
    assert!(al2
        .error
        .as_deref()
        .unwrap()
        .contains("leaves the repository"));
    let h = Db::open(&db).unwrap();
    assert!(!h
        .lookup(&Namespace::distro("amzn", "2"), "kernel")
        .unwrap()
        .is_empty());
}

/// endoflife.date product files (`/api/ubuntu.json`) become stored end-of-life rows
/// that win over the built-in table.
#[test]
fn end_of_life_dates_from_mirror() {
    let srv = Server::start();
    srv.set(
        "/eol/ubuntu.json",
        Reply::Body(
            br#"[{"cycle":"24.04","codename":"Noble Numbat","lts":true,"releaseDate":"2024-04-25","eol":"2029-05-31","extendedSupport":"2036-04-25","latest":"24.04.1"},
                {"cycle":"18.04","codename":"Bionic Beaver","lts":true,"releaseDate":"2018-04-26","eol":"2023-05-31","extendedSupport":"2028-04-01"},
                {"cycle":"25.10","lts":false,"releaseDate":"2025-10-09","eol":false}]"#
                .to_vec(),
            "\"e1\"",
        ),
    );
    srv.set(
        "/eol/amazon-linux.json",
        Reply::Body(
            br#"[{"cycle":"2023","eol":"2029-06-30"},{"cycle":"1","eol":"2023-12-31"}]"#.to_vec(),
            "\"e2\"",
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(
        &db,
        &opts(&srv.base(), &["eol:ubuntu", "eol:amazon-linux"]),
        &|_| {},
    )
    .unwrap();
    assert!(res.iter().all(|r| r.outcome == "updated"), "{res:?}");
    assert_eq!(res[0].records, 2);
    let stored = Db::open(&db).unwrap().release_eol().unwrap();
    assert_eq!(stored.len(), 4);
    let d = hull_model::Distro {
        id: "ubuntu".into(),
        version_id: "18.04".into(),
        codename: None,
        pretty_name: None,
        id_like: vec![],
        path: hull_model::ImagePath::root(),
    };
    let e = hull_vulndb::eol::lookup(&d, &stored).unwrap();
    assert_eq!(e.source, "eol:ubuntu");
    assert_eq!(e.extended_until.as_deref(), Some("2028-04-01"));
}

/// Wolfi's `security.json` from its real path under the mirror.
#[test]
fn wolfi_secdb_from_mirror() {
    let srv = Server::start();
    srv.set(
        "/wolfi/os/security.json",
        Reply::Body(
            br#"{"apkurl":"{{urlprefix}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk","archs":["x86_64"],"reponame":"os","urlprefix":"https://packages.wolfi.dev",
            "packages":[{"pkg":{"name":"openssh","secfixes":{"9.6_p1-r1":["CVE-2023-51385"]}}}]}"#
                .to_vec(),
            "\"w1\"",
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["wolfi-secdb"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    let h = Db::open(&db).unwrap();
    let a = h
        .lookup(&Namespace::distro("wolfi", "rolling"), "openssh")
        .unwrap();
    assert_eq!(a[0].id, "openssh@9.6_p1-r1");
    assert_eq!(a[0].source, "wolfi-secdb");
}

/// Oracle Linux's ELSA OVAL, bzip2-compressed as Oracle publishes it.
#[test]
fn oracle_oval_bz2_from_mirror() {
    let xml = include_str!("../../../../../fuzz/corpus/feed_redhat_oval/elsa-ol8.xml");
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::default());
    e.write_all(xml.as_bytes()).unwrap();
    let srv = Server::start();
    srv.set(
        "/oracle/security/oval/com.oracle.elsa-ol8.xml.bz2",
        Reply::Body(e.finish().unwrap(), "\"o1\""),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["oracle-oval:ol8"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    let h = Db::open(&db).unwrap();
    let a = h
        .lookup(&Namespace::distro("ol", "8"), "openssl-libs")
        .unwrap();
    assert_eq!(a[0].id, "ELSA-2023-0945");
}

/// Photon OS CVE metadata from its real path (the release is in the file name).
#[test]
fn photon_cve_metadata_from_mirror() {
    let srv = Server::start();
    srv.set(
        "/photon/photon_cve_metadata/cve_data_photon4.0.json",
        Reply::Body(
            include_bytes!("../../../../../fuzz/corpus/feed_photon/cve_data_photon4.0.json")
                .to_vec(),
            "\"p1\"",
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["photon:4.0"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    assert_eq!(res[0].records, 4);
    let h = Db::open(&db).unwrap();
    let z = h
        .lookup(&Namespace::distro("photon", "4.0"), "zlib")
        .unwrap();
    assert_eq!(z[0].id, "CVE-2022-37434");
}

/// CBL-Mariner 2.0 OVAL from its path in `microsoft/AzureLinuxVulnerabilityData`.
#[test]
fn mariner_oval_from_mirror() {
    let srv = Server::start();
    srv.set(
        "/microsoft/AzureLinuxVulnerabilityData/main/cbl-mariner-2.0-oval.xml",
        Reply::Body(
            include_bytes!("../../../../../fuzz/corpus/feed_mariner_oval/cbl-mariner-2.0-oval.xml")
                .to_vec(),
            "\"m1\"",
        ),
    );
    let tmp = tempfile::tempdir().unwrap();
    let db = tmp.path().join("hull.db");
    let (res, _) = update::run(&db, &opts(&srv.base(), &["mariner-oval:2.0"]), &|_| {}).unwrap();
    assert_eq!(res[0].outcome, "updated", "{res:?}");
    assert_eq!(res[0].records, 3);
    let h = Db::open(&db).unwrap();
    let c = h
        .lookup(&Namespace::distro("mariner", "2.0"), "curl")
        .unwrap();
    assert_eq!(c[0].id, "CVE-2024-0001");
}
