//! Output formats (table, JSON, SARIF, CycloneDX, SPDX) and scores.
