//! `hull admission`: a Kubernetes validating admission webhook
//! (`admission.k8s.io/v1` `AdmissionReview`) that applies the Pod Security Standards
//! (exactly as [`hull_audit::pss`] evaluates them), hull's own checks and the same Rego
//! policies as `hull config` to Pods and every workload controller.
//!
//! The decision is a pure function, [`review::review`]: request JSON in, response JSON
//! out, no I/O. [`serve`] puts it behind [`hull_http`] (TLS required, body limit,
//! timeouts) at `POST /validate`; it also learns namespace labels from the Namespace
//! objects it is shown, for per-namespace overrides.
//!
//! It does not talk to the API server: namespace labels come from the Namespace
//! reviews it receives (and from `--namespace-labels`), never from a watch.
//!
//! ```
//! use hull_admission::review::{review, Config};
//! let req = r#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{
//!   "uid":"u1","kind":{"group":"","version":"v1","kind":"Pod"},"operation":"CREATE","namespace":"shop",
//!   "object":{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
//!     "spec":{"containers":[{"name":"c","image":"nginx","securityContext":{"privileged":true}}]}}}}"#;
//! let out = review(req.as_bytes(), &Config::default(), &|_| None).unwrap();
//! assert_eq!(out.response["response"]["allowed"], false);
//! assert!(out.response["response"]["status"]["message"].as_str().unwrap().contains("pss:privileged"));
//! ```

pub mod review;
pub mod server;

pub use server::{router, run_until_signalled, serve, AppState, ServeOptions};
