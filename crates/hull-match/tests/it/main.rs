//! hull-match integration tests (accuracy against the corpus).
