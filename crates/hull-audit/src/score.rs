//! Configuration score C = Π cᵢ over the checks that apply.
//!
//! A passing check contributes 1; a failing one contributes the constant of its
//! severity below. Each check id counts once per scope (a workload, or a whole file),
//! however many containers fail it, so C measures *which* controls are missing, not
//! how many replicas of the mistake there are. One critical failure caps C at 0.2.

use hull_model::Severity;

/// cᵢ for a failed check of this severity.
pub fn factor(s: Severity) -> f64 {
    match s {
        Severity::Critical => 0.2,
        Severity::High => 0.5,
        Severity::Medium => 0.8,
        Severity::Low => 0.95,
        Severity::Negligible | Severity::Unknown => 0.99,
    }
}

/// C over failed (check id, severity) pairs; duplicate ids count once.
pub fn score<'a>(failed: impl IntoIterator<Item = (&'a str, Severity)>) -> f64 {
    let mut seen: Vec<&str> = vec![];
    let mut c = 1.0;
    for (id, sev) in failed {
        if !seen.contains(&id) {
            seen.push(id);
            c *= factor(sev);
        }
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn product_and_dedup() {
        assert_eq!(score([]), 1.0);
        let c = score([
            ("k8s:privileged", Severity::Critical),
            ("k8s:privileged", Severity::Critical),
        ]);
        assert!((c - 0.2).abs() < 1e-12);
        let c = score([("a", Severity::High), ("b", Severity::Low)]);
        assert!((c - 0.475).abs() < 1e-12);
        // One critical failure scores below any number of low ones up to 31.
        assert!(factor(Severity::Critical) < factor(Severity::Low).powi(31));
    }
}
