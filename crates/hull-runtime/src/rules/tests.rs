use super::*;
use crate::attribution::Container;

fn ctr() -> Option<Container> {
    Some(Container {
        id: "c0ffee".into(),
        image: "busybox:1".into(),
        ..Container::default()
    })
}

fn ev(kind: EventType, f: impl FnOnce(&mut Event)) -> Event {
    let mut e = Event::new(kind, 100);
    e.comm = "x".into();
    e.container = ctr();
    f(&mut e);
    e
}

fn fired(engine: &Engine, e: &Event) -> Vec<String> {
    let mut v: Vec<String> = engine
        .evaluate(e, "test")
        .into_iter()
        .map(|a| a.rule)
        .collect();
    v.sort();
    v
}

fn default_engine() -> Engine {
    let (e, errs) = Engine::load(true, &[] as &[&str]);
    assert!(errs.is_empty(), "default rules must compile: {errs:?}");
    e
}

#[test]
fn default_rules_compile_and_ids_are_kebab_unique() {
    let e = default_engine();
    assert!(e.rules().len() >= 15);
    let mut names: Vec<&str> = e.rules().iter().map(|r| r.name.as_str()).collect();
    for n in &names {
        assert!(
            n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
            "{n}"
        );
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(before, names.len());
    // Every default rule is documented in docs/rules.md.
    let doc = include_str!("../../../../docs/rules.md");
    for n in names {
        assert!(
            doc.contains(&format!("`{n}`")),
            "rule {n} missing from docs/rules.md"
        );
    }
}

#[test]
fn default_rules_fire_on_attack_events_in_containers_only() {
    let e = default_engine();
    let cases: Vec<(Event, Vec<&str>)> = vec![
        (
            ev(EventType::Exec, |e| {
                e.comm = "sh".into();
                e.args = vec!["sh".into(), "-c".into(), "id".into()];
            }),
            vec!["shell-in-container"],
        ),
        (
            ev(EventType::Exec, |e| {
                e.comm = "bash".into();
                e.stdio_socket = true;
            }),
            vec!["reverse-shell", "shell-in-container"],
        ),
        (
            ev(EventType::Open, |e| e.path = "/etc/shadow".into()),
            vec!["sensitive-file-read"],
        ),
        (
            ev(EventType::Open, |e| {
                e.path = "/var/run/secrets/kubernetes.io/serviceaccount/token".into()
            }),
            vec!["sensitive-file-read"],
        ),
        (
            ev(EventType::Open, |e| {
                e.path = "/home/bob/.ssh/id_ed25519".into()
            }),
            vec!["sensitive-file-read"],
        ),
        (
            ev(EventType::Open, |e| e.path = "/etc/hosts".into()),
            vec![],
        ),
        (
            ev(EventType::Open, |e| {
                e.path = "/etc/x".into();
                e.write = true;
            }),
            vec!["write-below-etc"],
        ),
        (
            ev(EventType::Open, |e| {
                e.path = "/bin/x".into();
                e.write = true;
            }),
            vec!["write-below-binary-dir"],
        ),
        (
            ev(EventType::Open, |e| {
                e.path = "/binx/x".into();
                e.write = true;
            }),
            vec![],
        ),
        (
            ev(EventType::Exec, |e| e.comm = "apt-get".into()),
            vec!["package-manager-in-container"],
        ),
        (
            ev(EventType::Setuid, |e| {
                e.uid = 65534;
                e.prev_uid = Some(0);
            }),
            vec!["uid-change-in-container"],
        ),
        (
            ev(EventType::Setuid, |e| {
                e.uid = 0;
                e.prev_uid = Some(1000);
            }),
            vec!["setuid-to-root", "uid-change-in-container"],
        ),
        (
            ev(EventType::Capset, |e| e.cap_gained = true),
            vec!["capability-gain-in-container"],
        ),
        (
            ev(EventType::Exec, |e| {
                e.comm = "xmrig".into();
                e.exe_drift = true;
            }),
            vec!["drift-binary-executed"],
        ),
        (
            ev(EventType::Connect, |e| {
                e.daddr = Some("10.0.0.1".into());
                e.dport = Some(3333);
            }),
            vec!["crypto-mining-port", "outbound-connection-in-container"],
        ),
        (
            ev(EventType::Ptrace, |e| e.request = Some(16)),
            vec!["ptrace-attach"],
        ),
        (
            ev(EventType::Ptrace, |e| {
                e.request = Some(16);
                e.comm = "strace".into();
            }),
            vec![],
        ),
        (
            ev(EventType::InitModule, |_| {}),
            vec!["kernel-module-load"],
        ),
        (
            ev(EventType::Mount, |e| e.path = "/host".into()),
            vec!["mount-in-container"],
        ),
        (
            ev(EventType::Exec, |e| e.exe = "/memfd:x (deleted)".into()),
            vec!["fileless-execution"],
        ),
    ];
    for (event, want) in cases {
        assert_eq!(fired(&e, &event), want, "{event:?}");
        // Container-scoped rules stay silent for the same action on the host.
        let mut host = event.clone();
        host.container = None;
        let host_fired = fired(&e, &host);
        for r in &host_fired {
            assert!(
                [
                    "crypto-mining-port",
                    "ptrace-attach",
                    "fileless-execution",
                    "kernel-module-load"
                ]
                .contains(&r.as_str()),
                "container-scoped rule {r} fired on host"
            );
        }
    }
    // Host module tools are fine; anything else loading a module is not.
    let mut modprobe = Event::new(EventType::InitModule, 1);
    modprobe.comm = "modprobe".into();
    assert!(fired(&e, &modprobe).is_empty());
}

#[test]
fn alert_output_and_fields_rendered() {
    let e = default_engine();
    let event = ev(EventType::Open, |e| {
        e.path = "/etc/shadow".into();
        e.comm = "cat".into();
        e.args = vec!["cat".into(), "/etc/shadow".into()];
        e.ts_ns = 1_000_000_001;
    });
    let alerts = e.evaluate(&event, "replay");
    assert_eq!(alerts.len(), 1);
    let a = &alerts[0];
    assert_eq!(a.container_id, "c0ffee");
    assert_eq!(a.priority, Priority::Warning);
    assert!(a.output.contains("file=/etc/shadow"), "{}", a.output);
    assert!(a.output.contains("cmdline=cat /etc/shadow"), "{}", a.output);
    assert_eq!(a.fields["fd.name"], "/etc/shadow");
    assert_eq!(a.fields["container.id"], "c0ffee");
    assert_eq!(a.time, "1970-01-01T00:00:01.000000001Z");
    assert!(a.tags.iter().any(|t| t == "T1552.001"));
}

fn compile_one(yaml: &str) -> (Engine, Vec<RuleError>) {
    let mut l = Loader::new();
    l.add_str("t.yaml", yaml);
    l.compile()
}

#[test]
fn operators_table() {
    let yaml = r#"
- list: l1
  items: [a, l2]
- list: l2
  items: [b]
- macro: m
  condition: proc.name = a
- rule: r
  condition: COND
"#;
    let mut e = Event::new(EventType::Exec, 42);
    e.comm = "b".into();
    e.exe = "/usr/bin/b".into();
    e.args = vec!["b".into(), "--flag".into(), "X".into()];
    e.uid = 1000;
    e.dport = Some(443);
    let cases = [
        ("proc.name = b", true),
        ("proc.name == b", true),
        ("proc.name != b", false),
        ("proc.name in (l1)", true),
        ("proc.name in (a, c)", false),
        ("proc.name in ('l1')", false),
        ("proc.exe startswith /usr/", true),
        ("proc.exe endswith /b", true),
        ("proc.cmdline contains '--flag X'", true),
        ("proc.cmdline icontains '--FLAG x'", true),
        ("proc.args = '--flag X'", true),
        ("proc.exe glob '/usr/*/b'", true),
        ("proc.exe glob '/*/b'", false),
        ("proc.exe pmatch (/opt/, /usr/bin/)", true),
        ("user.uid > 999 and user.uid < 1001", true),
        ("user.uid >= 1001", false),
        ("user.uid <= 1000", true),
        ("user.uid in (0, 1000)", true),
        ("net.dport = 443", true),
        ("net.daddr exists", false),
        ("proc.exe exists", true),
        ("fd.name exists", false),
        ("not fd.name exists", true),
        ("m or proc.name = b", true),
        ("not m and (evt.type = exec)", true),
        ("evt.type in (open, connect)", false),
        ("evt.type != exec", false),
        ("proc.pid = 0x2a", true),
        ("proc.exe_drift = false", true),
        ("proc.exe_drift != false", false),
        ("container.id = host", true),
        ("container.image exists", false),
    ];
    for (cond, want) in cases {
        let (eng, errs) = compile_one(&yaml.replace("COND", cond));
        assert!(errs.is_empty(), "{cond}: {errs:?}");
        assert_eq!(eng.rules()[0].matches(&e), want, "{cond}");
    }
}

#[test]
fn errors_name_file_line_column() {
    let cases: [(&str, (usize, usize), &str); 9] = [
        // unknown field in a one-line condition: column of the field
        (
            "- rule: r\n  condition: proc.name = a and proc.nmae = b\n",
            (2, 32),
            "unknown field `proc.nmae`",
        ),
        // syntax error inside a folded block scalar: second line of the block
        (
            "- rule: r\n  condition: >\n    proc.name = a and\n    (fd.name = b\n",
            (4, 17),
            "expected `)`",
        ),
        // unknown key of the item
        (
            "- rule: r\n  condtion: x\n",
            (2, 3),
            "unknown field `condtion`",
        ),
        (
            "- rule: r\n  condition: proc.pid = abc\n",
            (2, 25),
            "not a number",
        ),
        (
            "- rule: r\n  condition: evt.type = bogus\n",
            (2, 25),
            "unknown event type",
        ),
        (
            "- rule: r\n  condition: nomacro\n",
            (2, 14),
            "unknown macro or field",
        ),
        (
            "- rule: r\n  condition: proc.name = a\n  output: hi %proc.bogus\n",
            (3, 15),
            "unknown field `proc.bogus` in output",
        ),
        (
            "- rule: r\n  condition: 'proc.name = (a'\n",
            (2, 29),
            "expected `,` or `)`",
        ),
        ("- rule: [\n", (2, 1), "yaml syntax"),
    ];
    for (yaml, (line, col), msg) in cases {
        let (_, errs) = compile_one(yaml);
        assert_eq!(errs.len(), 1, "{yaml}: {errs:?}");
        let e = &errs[0];
        assert_eq!(e.file, "t.yaml");
        assert!(e.message.contains(msg), "{yaml}: {e}");
        assert_eq!((e.line, e.column), (line, col), "{yaml}: {e}");
    }
}

#[test]
fn broken_rules_do_not_block_good_ones() {
    let yaml = "
- rule: good
  condition: proc.name = sh
- rule: bad
  condition: proc.name = = sh
- macro: loop
  condition: loop
- rule: uses-loop
  condition: loop
- rule: bad-priority
  condition: proc.name = sh
  priority: apocalyptic
- nonsense: 1
- 42
";
    let (eng, errs) = compile_one(yaml);
    assert_eq!(eng.rules().len(), 1);
    assert_eq!(eng.rules()[0].name, "good");
    assert_eq!(errs.len(), 5, "{errs:?}");
    assert!(errs.iter().any(|e| e.message.contains("refers to itself")));
    assert!(errs.iter().any(|e| e.message.contains("unknown priority")));
}

#[test]
fn exceptions_append_and_disable() {
    let yaml = r#"
- rule: r
  condition: evt.type = exec
  exceptions:
    - name: pairs
      fields: [proc.name, proc.pname]
      comps: [=, in]
      values:
        - [sh, [runc, containerd-shim]]
    - name: single
      fields: proc.exe
      comps: startswith
      values: [/opt/]
- rule: r2
  condition: evt.type = exec
- rule: r2
  enabled: false
- rule: r3
  condition: evt.type = exec
- rule: r3
  append: true
  condition: and proc.name = zsh
- list: extra
  items: [a]
- list: extra
  append: true
  items: [b]
- rule: r4
  condition: proc.name in (extra)
"#;
    let (eng, errs) = compile_one(yaml);
    assert!(errs.is_empty(), "{errs:?}");
    let mut e = Event::new(EventType::Exec, 1);
    let names = |e: &Event| fired(&eng, e);
    e.comm = "sh".into();
    e.pcomm = "runc".into();
    assert_eq!(names(&e), Vec::<String>::new());
    e.pcomm = "bash".into();
    assert_eq!(names(&e), vec!["r"]);
    e.exe = "/opt/tool".into();
    assert_eq!(names(&e), Vec::<String>::new());
    e.exe.clear();
    e.comm = "zsh".into();
    assert_eq!(names(&e), vec!["r", "r3"]);
    e.comm = "b".into();
    assert_eq!(names(&e), vec!["r", "r4"]);
}

#[test]
fn missing_file_reported() {
    let (_, errs) = Engine::load(false, &["/nonexistent/rules.yaml"]);
    assert_eq!(errs.len(), 1);
    assert!(errs[0]
        .to_string()
        .starts_with("/nonexistent/rules.yaml:1:1: cannot read"));
}
