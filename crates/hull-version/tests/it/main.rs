//! Integration tests of hull-version: answers checked against the real tools (dpkg,
//! librpm, Python `packaging`) on versions taken from the shared corpus, property
//! tests of every scheme, and replay of the fuzz seed corpora.

mod common;
mod corpus_versions;
mod distro_expected;
mod fuzz_seeds;
mod osv_expected;
mod properties;
mod real_tools;
mod rustsec;
mod script_tools;
