//! hull-server integration tests.
