//! Packages x advisories -> findings: one matcher per ecosystem family, each finding with
//! the evidence of how it matched.
