//! Runtime monitor: watch what processes in running containers do and raise alerts.
//!
//! Pipeline: an event **source** ([`source`]: eBPF, a fallback made of the netlink proc
//! connector + `/proc` + fanotify marks on container mounts, or a JSON-lines replay) produces [`event::Event`]s; **attribution**
//! ([`attribution`]) names the container from the cgroup path and runtime state; the
//! **rule engine** ([`rules`], Falco-shaped YAML compiled once) turns events into
//! [`rules::Alert`]s; **outputs** ([`output`]) write JSON lines and webhooks, and
//! [`metrics`] exports Prometheus counters and the per-container score M.
//!
//! What it does not do: block or kill anything (detection only), or parse events of
//! non-Linux kernels. Sources that need root report a clear error instead.
//!
//! ```
//! use hull_runtime::{event::{Event, EventType}, rules::Engine};
//! let (engine, errors) = Engine::load(true, &[] as &[&str]);
//! assert!(errors.is_empty());
//! let mut ev = Event::new(EventType::Open, 42);
//! ev.path = "/etc/shadow".into();
//! ev.container = Some(hull_runtime::attribution::Container { id: "abc".into(), ..Default::default() });
//! let alerts = engine.evaluate(&ev, "replay");
//! assert_eq!(alerts[0].rule, "sensitive-file-read");
//! ```

pub mod attribution;
pub mod event;
pub mod metrics;
pub mod output;
pub mod pipeline;
pub mod rules;
pub mod seccomp;
pub mod source;
pub mod syscalls;
