//! hull-audit integration tests (one binary, see STYLE.md §4).

mod badinput;
mod corpus;
mod docs;
mod fixtures;
mod fuzz_seeds;
mod host;
mod policy;
mod runc;
