//! Small helpers over `serde_json::Value` trees and source text.

use serde_json::Value;

/// Follows a path of object keys.
pub(crate) fn get<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(k)?;
    }
    Some(cur)
}

pub(crate) fn get_str<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    get(v, path)?.as_str()
}

/// A boolean, accepting the string spellings YAML users write (`"true"`).
pub(crate) fn get_bool(v: &Value, path: &[&str]) -> Option<bool> {
    match get(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" => Some(true),
            "false" | "no" | "off" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn get_i64(v: &Value, path: &[&str]) -> Option<i64> {
    match get(v, path)? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An array of strings (non-strings are skipped; a single string counts as one item).
pub(crate) fn get_strs(v: &Value, path: &[&str]) -> Vec<String> {
    match get(v, path) {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|x| match x {
                Value::String(s) => Some(s.clone()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => vec![],
    }
}

pub(crate) fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    match get(v, path) {
        Some(Value::Array(a)) => a.as_slice(),
        _ => &[],
    }
}

/// Capability spelling normalised the way the kernel names them, without `CAP_`.
pub(crate) fn norm_cap(c: &str) -> String {
    let u = c.trim().to_ascii_uppercase();
    u.strip_prefix("CAP_").map(str::to_string).unwrap_or(u)
}

/// Locates source lines for findings in formats whose parsers give no positions: the
/// first line at or after `from` (1-based) whose text contains every needle.
pub(crate) struct Lines<'a> {
    lines: Vec<&'a str>,
}

impl<'a> Lines<'a> {
    pub(crate) fn new(text: &'a str) -> Lines<'a> {
        Lines {
            lines: text.lines().collect(),
        }
    }

    pub(crate) fn find(&self, from: usize, to: usize, needles: &[&str]) -> Option<usize> {
        let start = from.saturating_sub(1);
        let end = to.min(self.lines.len());
        (start..end)
            .find(|&i| {
                self.lines
                    .get(i)
                    .is_some_and(|l| needles.iter().all(|n| l.contains(n)))
            })
            .map(|i| i + 1)
    }

    pub(crate) fn len(&self) -> usize {
        self.lines.len()
    }
}
