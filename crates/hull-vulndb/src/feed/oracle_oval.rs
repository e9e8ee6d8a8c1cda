//! Oracle Linux ELSA advisories in OVAL (`https://linux.oracle.com/security/oval/`,
//! `com.oracle.elsa-olN.xml.bz2`).
//!
//! Oracle publishes ELSA as OVAL and as CSAF/CVRF documents; hull reads the per-release
//! OVAL file: one download per release, and the same layout as Red Hat's OVAL (each
//! `<definition>` one ELSA whose criteria comments say "`name` is earlier than
//! `epoch:version-release`", nested under "Module `name:stream` is enabled" for
//! modular fixes), so it is read by [`super::redhat_oval`] with Oracle's platform
//! name (`<platform>Oracle Linux 8</platform>`), namespace `ol:<major>` and
//! advisory reference (`source="elsa"`). Rows name binary rpms.
//!
//! Limitation: when a definition gives different fixed versions per architecture
//! (criteria "Oracle Linux arch is x86_64"), every version is kept as a row and the
//! first one that matches wins; the arch condition itself is not evaluated.

use super::redhat_oval::{parse_vendor, Vendor};
use super::{FeedError, Format, Parsed};

pub const ORACLE: Vendor = Vendor {
    platform_prefix: "Oracle Linux ",
    family: "ol",
    source: "oracle-oval",
    advisory_refs: &["elsa", "ELSA"],
    format: Format::OracleOval,
};

pub fn parse(file: &str, text: &str) -> Result<Parsed, FeedError> {
    parse_vendor(file, text, &ORACLE)
}

/// Whether an OVAL document is Oracle's (its definitions name Oracle Linux).
pub fn looks_like(text: &str) -> bool {
    text.contains("<platform>Oracle Linux ") || text.contains("oval:com.oracle.elsa:")
}

#[cfg(test)]
mod tests {
    use super::*;
    use hull_model::VersionRule;

    /// An ELSA definition in Oracle's layout (title padded with newlines, `elsa`
    /// reference, per-arch criteria, signature criterion, a modular fix).
    pub const ELSA: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<oval_definitions xmlns="http://oval.mitre.org/XMLSchema/oval-definitions-5" xmlns:oval="http://oval.mitre.org/XMLSchema/oval-common-5">
<generator><oval:product_name>Oracle Errata</oval:product_name><oval:schema_version>5.3</oval:schema_version><oval:timestamp>2024-01-01T00:00:00</oval:timestamp></generator>
<definitions>
<definition id="oval:com.oracle.elsa:def:20230945" version="501" class="patch">
<metadata>
<title>
ELSA-2023-0945:  nodejs:18 and openssl security update (IMPORTANT)
</title>
<affected family="unix"><platform>Oracle Linux 8</platform></affected>
<reference source="elsa" ref_id="ELSA-2023-0945" ref_url="https://linux.oracle.com/errata/ELSA-2023-0945.html"/>
<reference source="CVE" ref_id="CVE-2023-0286" ref_url="https://linux.oracle.com/cve/CVE-2023-0286.html"/>
<description>openssl: X.400 address type confusion</description>
<advisory><severity>IMPORTANT</severity><rights>Copyright 2023 Oracle, Inc.</rights><issued date="2023-02-28"/></advisory>
</metadata>
<criteria operator="AND">
<criterion test_ref="oval:com.oracle.elsa:tst:20230945001" comment="Oracle Linux 8 is installed"/>
<criteria operator="OR">
<criteria operator="AND">
<criterion test_ref="oval:com.oracle.elsa:tst:20230945002" comment="Oracle Linux arch is x86_64"/>
<criteria operator="OR">
<criteria operator="AND">
<criterion test_ref="oval:com.oracle.elsa:tst:20230945003" comment="openssl-libs is earlier than 1:1.1.1k-9.el8_7"/>
<criterion test_ref="oval:com.oracle.elsa:tst:20230945004" comment="openssl-libs is signed with the Oracle Linux 8 key"/>
</criteria>
<criteria operator="AND">
<criterion test_ref="oval:com.oracle.elsa:tst:20230945005" comment="Module nodejs:18 is enabled"/>
<criterion test_ref="oval:com.oracle.elsa:tst:20230945006" comment="nodejs is earlier than 1:18.14.2-2.module+el8.7.0+20919+0ed2e2ac"/>
<criterion test_ref="oval:com.oracle.elsa:tst:20230945007" comment="nodejs is signed with the Oracle Linux 8 key"/>
</criteria>
</criteria>
</criteria>
</criteria>
</criteria>
</definition>
</definitions>
</oval_definitions>
"#;

    #[test]
    fn elsa_definitions_become_ol_rows() {
        assert!(looks_like(ELSA));
        assert_eq!(
            crate::feed::detect("x.xml", ELSA.as_bytes()),
            Some(Format::OracleOval)
        );
        let p = parse("com.oracle.elsa-ol8.xml", ELSA).unwrap();
        assert_eq!(p.source_hint.as_deref(), Some("oracle-oval"));
        let a = &p.advisories[0];
        assert_eq!(a.id, "ELSA-2023-0945");
        assert_eq!(a.source, "oracle-oval");
        assert_eq!(a.aliases, ["CVE-2023-0286"]);
        assert_eq!(a.severity, hull_model::Severity::High);
        assert_eq!(
            a.summary.as_deref(),
            Some("ELSA-2023-0945:  nodejs:18 and openssl security update (IMPORTANT)")
        );
        let ssl = a
            .affected
            .iter()
            .find(|r| r.package == "openssl-libs")
            .unwrap();
        assert_eq!(ssl.namespace.as_str(), "ol:8");
        assert!(ssl.binary_name);
        assert_eq!(ssl.module, None);
        assert_eq!(
            ssl.rule,
            VersionRule::LessThan {
                fixed: "1:1.1.1k-9.el8_7".into()
            }
        );
        let node = a.affected.iter().find(|r| r.package == "nodejs").unwrap();
        assert_eq!(node.module.as_deref(), Some("nodejs:18"));
    }
}
