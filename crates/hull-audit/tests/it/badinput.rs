//! Bad input: malformed YAML/JSON, YAML bombs, huge and binary files. Each gets a clear
//! per-file error; the other files are still audited.

use std::fs;

use hull_audit::{audit_paths, audit_text, Options};

const GOOD_POD: &str = "apiVersion: v1\nkind: Pod\nmetadata: {name: ok}\nspec:\n  containers:\n  - name: c\n    image: nginx:1.27\n";

fn bomb() -> String {
    // Nine levels of nine aliases: 9^9 ≈ 387 million nodes if expanded.
    let mut s = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i"];
    for w in names.windows(2) {
        let (p, n) = (w[0], w[1]);
        s.push_str(&format!(
            "{n}: &{n} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n"
        ));
    }
    s.push_str("apiVersion: v1\nkind: Pod\n");
    s
}

#[test]
fn yaml_bomb_is_rejected_quickly() {
    let t = std::time::Instant::now();
    let r = audit_text("bomb.yaml", &bomb(), &Options::default());
    let e = r.error.expect("bomb rejected");
    assert!(e.contains("invalid YAML"), "{e}");
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}

#[test]
fn malformed_inputs_give_located_errors() {
    let r = audit_text("config.json", "{]\n", &Options::default());
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .starts_with("invalid JSON at line 1"),
        "{:?}",
        r.error
    );
    let r = audit_text(
        "x.yaml",
        "apiVersion: v1\nkind: Pod\nspec: [unclosed\n",
        &Options::default(),
    );
    assert!(
        r.error.as_deref().unwrap().contains("invalid YAML"),
        "{:?}",
        r.error
    );
    let r = audit_text("config.toml", "[plugins\nversion = \n", &Options::default());
    assert!(
        r.error.as_deref().unwrap().starts_with("invalid TOML"),
        "{:?}",
        r.error
    );
    let r = audit_text(
        "Dockerfile",
        "FROM alpine\nFROBNICATE now\n",
        &Options::default(),
    );
    assert_eq!(
        r.error.as_deref(),
        Some("invalid Dockerfile: line 2: unknown instruction `FROBNICATE`")
    );
    let r = audit_text("notes.yaml", "hello: world\n", &Options::default());
    assert!(r
        .error
        .as_deref()
        .unwrap()
        .starts_with("unrecognised configuration format"));
    // Deep nesting hits the parsers' recursion limits instead of the stack.
    let deep = "[".repeat(100_000);
    assert!(audit_text("deep.json", &deep, &Options::default())
        .error
        .is_some());
    // Deep YAML is refused before libyaml (quadratic in nesting depth) sees it.
    let t = std::time::Instant::now();
    for deep in [
        format!("a: {}", "[".repeat(100_000)),
        format!("a: {}", "{x: ".repeat(100_000)),
        format!("{}x\n", "- ".repeat(100_000)),
    ] {
        let e = audit_text("deep.yaml", &deep, &Options::default())
            .error
            .unwrap();
        assert!(e.contains("nesting deeper than 256 levels"), "{e}");
    }
    assert!(t.elapsed().as_secs() < 5, "took {:?}", t.elapsed());
}

#[test]
fn big_binary_and_broken_files_do_not_stop_the_others() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    fs::write(d.join("good.yaml"), GOOD_POD).unwrap();
    fs::write(d.join("bomb.yaml"), bomb()).unwrap();
    fs::write(d.join("bad.json"), "{\"ociVersion\": ").unwrap();
    fs::write(d.join("blob.json"), [0u8, 159, 146, 150, 0, 1, 2]).unwrap();
    // 50 MB of valid-looking YAML.
    let mut big = String::from("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n");
    let line = format!("  k{}: {}\n", 0, "x".repeat(100));
    while big.len() < 50 * 1024 * 1024 {
        big.push_str(&line);
    }
    fs::write(d.join("huge.yaml"), big).unwrap();
    let reports = audit_paths(&[d.to_path_buf()], &Options::default());
    let by = |n: &str| {
        reports
            .iter()
            .find(|r| r.path.ends_with(n))
            .unwrap_or_else(|| panic!("{n} missing"))
    };
    assert!(by("good.yaml").error.is_none());
    assert!(by("good.yaml")
        .findings
        .iter()
        .any(|f| f.id == "k8s:run-as-non-root"));
    assert!(by("bomb.yaml")
        .error
        .as_deref()
        .unwrap()
        .contains("invalid YAML"));
    assert!(by("bad.json")
        .error
        .as_deref()
        .unwrap()
        .contains("invalid JSON"));
    assert_eq!(
        by("blob.json").error.as_deref(),
        Some("binary file (contains NUL bytes or invalid UTF-8)")
    );
    assert!(
        by("huge.yaml")
            .error
            .as_deref()
            .unwrap()
            .contains("larger than"),
        "{:?}",
        by("huge.yaml").error
    );
}
