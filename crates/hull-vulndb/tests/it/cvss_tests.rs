//! CVSS scoring against NVD's own numbers: every v3.x vector in the corpus NVD records
//! must score exactly the `baseScore` NVD published next to it.

use hull_vulndb::cvss;

#[test]
fn every_nvd_v3_vector_scores_nvds_base_score() {
    let Some(c) = crate::corpus() else { return };
    let mut checked = 0;
    let mut mismatches = Vec::new();
    for dir in ["feeds/nvd/api-2.0-per-cve", "feeds/nvd/api-2.0-page"] {
        let mut files: Vec<_> = std::fs::read_dir(c.join(dir))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .collect();
        files.sort();
        for f in files {
            let doc: serde_json::Value =
                serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
            let mut stack = vec![&doc];
            // Walk the whole document: metrics sit at different depths in pages and
            // single responses.
            while let Some(v) = stack.pop() {
                match v {
                    serde_json::Value::Object(o) => {
                        let vector = o.get("vectorString").and_then(|s| s.as_str());
                        let score = o.get("baseScore").and_then(|s| s.as_f64());
                        if let (Some(vector), Some(want)) = (vector, score) {
                            if vector.starts_with("CVSS:3") || vector.starts_with("CVSS:4") {
                                checked += 1;
                                if cvss::base_score(vector) != Some(want) {
                                    mismatches.push((vector.to_string(), want));
                                }
                            }
                        }
                        stack.extend(o.values());
                    }
                    serde_json::Value::Array(a) => stack.extend(a.iter()),
                    _ => {}
                }
            }
        }
    }
    println!("{checked} NVD CVSS v3/v4 vectors checked");
    assert!(checked >= 50, "only {checked} vectors found");
    assert!(mismatches.is_empty(), "{mismatches:?}");
}
