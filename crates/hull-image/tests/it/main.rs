//! hull-image integration tests: the real corpus, every target form, hostile images.
