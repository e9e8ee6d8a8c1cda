//! Integration tests of hull-secret: the rule table, hostile input, custom configs, the
//! documentation, the fuzz seeds, and accuracy on the shared corpus.

mod common;
mod corpus;
mod docs;
mod hostile;
mod realkeys;
mod rules;
mod seeds;
