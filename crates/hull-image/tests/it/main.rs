//! hull-image integration tests: the real corpus, every target form on the same image,
//! a real registry, hostile images, and the fuzz seed corpus.

mod common;
mod corpus;
mod forms;
mod hostile;
mod registry;
mod seeds;
