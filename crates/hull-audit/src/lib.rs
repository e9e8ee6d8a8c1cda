//! Configuration audit: Kubernetes, compose, docker inspect, OCI runtime config,
//! Dockerfiles and host runtime settings, with built-in checks, Rego policies and fixes.
