//! Version schemes (dpkg, rpm, apk, semver, npm, PEP 440, Maven, Go, …) and OSV-style
//! ranges. Pure, no I/O: every comparator is a total order that never panics.
