//! hull-audit integration tests (one binary, see STYLE.md §4).

mod badinput;
mod corpus;
mod docs;
mod fixtures;
mod fuzz_seeds;
mod gaps;
mod host;
mod policy;
mod pss;
mod runc;
